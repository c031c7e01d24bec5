/** @jsxImportSource hono/jsx */
// deno-lint-ignore-file jsx-key -- server-rendered once: no reconciliation, keys serve nothing
/**
 * The page frame and the small components every page uses: navigation (the admin area only for
 * organization and platform administrators), notices, labelled fields, and POST buttons that carry
 * the CSRF token. Server-rendered `hono/jsx`, no script; works with the keyboard and on a phone.
 *
 * @module
 */
import type { Child } from "hono/jsx";
import { STYLE_PATH } from "./style.ts";

/** Who is logged in (the admin API's `GET /auth/me`). */
export interface Me {
  accountId: string;
  address: string;
  orgId: string;
  role: "member" | "org-admin" | "platform-admin";
  scope: string;
  via: string;
}

/** A message shown above the page's content. */
export interface Notice {
  kind: "ok" | "error";
  text: string;
}

const ACCOUNT_NAV: [string, string][] = [
  ["/account", "Overview"],
  ["/account/password", "Password"],
  ["/account/tokens", "API tokens"],
  ["/account/sessions", "Sessions"],
  ["/account/vacation", "Vacation reply"],
  ["/account/filters", "Filters"],
];

const ADMIN_NAV: [string, string][] = [
  ["/admin", "Dashboard"],
  ["/admin/organizations", "Organizations"],
  ["/admin/plans", "Plans"],
  ["/admin/domains", "Domains"],
  ["/admin/accounts", "Accounts"],
  ["/admin/aliases", "Aliases"],
  ["/admin/tokens", "All API tokens"],
  ["/admin/queue", "Queue"],
  ["/admin/audit", "Audit log"],
  ["/admin/sessions", "All sessions"],
  ["/admin/webhooks", "Webhooks"],
];

/** Whether the principal may open the admin area. */
export function isAdmin(me: Me): boolean {
  return me.role === "org-admin" || me.role === "platform-admin";
}

function NavList(props: { items: [string, string][]; current: string; label: string }) {
  return (
    <nav aria-label={props.label}>
      <ul>
        {props.items.map(([href, text]) => (
          <li>
            <a href={href} aria-current={href === props.current ? "page" : undefined}>{text}</a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** The whole page. */
export function Layout(
  props: {
    title: string;
    me?: Me | null;
    csrf?: string;
    path?: string;
    notice?: Notice | null;
    children?: Child;
  },
) {
  const me = props.me ?? null;
  const path = props.path ?? "";
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>{`${props.title} · Tern`}</title>
        <link rel="stylesheet" href={STYLE_PATH} />
      </head>
      <body>
        <a class="skip" href="#content">Skip to content</a>
        <header>
          <span class="brand">Tern</span>
          {me && <NavList items={ACCOUNT_NAV} current={path} label="Account" />}
          {me && isAdmin(me) && <NavList items={ADMIN_NAV} current={path} label="Administration" />}
          {me && (
            <form method="post" action="/logout" class="inline">
              <input type="hidden" name="csrf" value={props.csrf ?? ""} />
              <span class="muted">{me.address}</span> <button type="submit" class="secondary">Log out</button>
            </form>
          )}
        </header>
        <main id="content">
          <h1>{props.title}</h1>
          {props.notice && (
            <p
              class={`notice ${props.notice.kind}`}
              role={props.notice.kind === "error" ? "alert" : "status"}
            >
              {props.notice.text}
            </p>
          )}
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** The hidden CSRF field of a form. */
export function Csrf(props: { token: string }) {
  return <input type="hidden" name="csrf" value={props.token} />;
}

/** A labelled input. */
export function Field(
  props: {
    name: string;
    label: string;
    type?: string;
    value?: string;
    required?: boolean;
    autocomplete?: string;
    hint?: string;
    min?: string;
  },
) {
  const id = `f-${props.name}`;
  return (
    <div>
      <label for={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        type={props.type ?? "text"}
        value={props.value}
        required={props.required}
        autocomplete={props.autocomplete}
        min={props.min}
        aria-describedby={props.hint ? `${id}-hint` : undefined}
      />
      {props.hint && <div id={`${id}-hint`} class="muted">{props.hint}</div>}
    </div>
  );
}

/** A labelled select. */
export function Select(
  props: { name: string; label: string; options: [string, string][]; value?: string },
) {
  const id = `f-${props.name}`;
  return (
    <div>
      <label for={id}>{props.label}</label>
      <select id={id} name={props.name}>
        {props.options.map(([v, text]) => <option value={v} selected={v === props.value}>{text}</option>)}
      </select>
    </div>
  );
}

/** A labelled checkbox. */
export function Check(props: { name: string; label: string; checked?: boolean }) {
  const id = `f-${props.name}`;
  return (
    <div class="check">
      <input id={id} type="checkbox" name={props.name} value="on" checked={props.checked} />{" "}
      <label for={id}>{props.label}</label>
    </div>
  );
}

/** A one-button form that POSTs to `action` (with the CSRF token and hidden fields). */
export function PostButton(
  props: {
    action: string;
    csrf: string;
    label: string;
    danger?: boolean;
    fields?: Record<string, string>;
    title?: string;
  },
) {
  return (
    <form method="post" action={props.action} class="inline">
      <Csrf token={props.csrf} />
      {Object.entries(props.fields ?? {}).map(([k, v]) => <input type="hidden" name={k} value={v} />)}
      <button type="submit" class={props.danger ? "danger" : "secondary"} aria-label={props.title}>
        {props.label}
      </button>
    </form>
  );
}

/** A table that scrolls sideways on a narrow screen. */
export function Table(props: { caption?: string; head: string[]; rows: Child[][]; empty?: string }) {
  if (props.rows.length === 0) return <p class="muted">{props.empty ?? "Nothing here yet."}</p>;
  return (
    <div class="table-wrap">
      <table>
        {props.caption && <caption class="muted">{props.caption}</caption>}
        <thead>
          <tr>{props.head.map((h) => <th scope="col">{h}</th>)}</tr>
        </thead>
        <tbody>{props.rows.map((r) => <tr>{r.map((cell) => <td>{cell}</td>)}</tr>)}</tbody>
      </table>
    </div>
  );
}

/** Bytes for a person (KiB/MiB/GiB). */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** A timestamp for a person (UTC, minutes). */
export function when(iso: string | null | undefined): string {
  if (!iso) return "—";
  return iso.replace("T", " ").slice(0, 16) + " UTC";
}
