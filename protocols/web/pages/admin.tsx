/** @jsxImportSource hono/jsx */
// deno-lint-ignore-file jsx-key -- server-rendered once: no reconciliation, keys serve nothing
/**
 * The admin area's directory pages: organizations, plans, domains (with the DNS records to
 * publish), accounts, aliases and API tokens. Each page lists through the admin API and its forms
 * call the API's create/delete operations, so the authorization matrix decides what an
 * organization administrator sees and may change.
 *
 * @module
 */
import type { Child } from "hono/jsx";
import { problemText } from "../api_client.ts";
import { bytes, Csrf, Field, Layout, type Notice, PostButton, Select, Table, when } from "../layout.tsx";
import { doneNotice, field, pageOf, seg, type WebApp, type WebContext, type WebDeps } from "../web_env.ts";

type Status = 200 | 400 | 403 | 404 | 409 | 422 | 429;

/** Renders an admin page. */
export function adminPage(
  c: WebContext,
  deps: WebDeps,
  title: string,
  path: string,
  body: Child,
  notice: Notice | null = null,
  status: Status = 200,
) {
  const p = pageOf(c, deps);
  return c.html(
    <Layout title={title} me={p.me} csrf={p.csrf} path={path} notice={notice ?? doneNotice(c)}>{body}
    </Layout>,
    status,
  );
}

/** The status a page answers for an API error status. */
export function errorStatus(s: number): Status {
  return s === 403 || s === 404 || s === 409 || s === 422 || s === 429 ? s : 400;
}

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

interface Org {
  id: string;
  name: string;
  planId: string | null;
  domains: string[];
  resources: { domains: number; accounts: number; addresses: number; storageBytes: number };
}
interface OrgDetails extends Org {
  roles: { accountId: string; address: string; role: string }[];
}
interface Plan {
  id: string;
  name: string;
  limits: Record<string, number | null>;
  features: Record<string, boolean>;
}
interface Domain {
  name: string;
  created: string;
  orgId: string;
}
interface DomainDetails extends Domain {
  dkim: { selector: string; algorithm: string }[];
  dnsRecords: {
    name: string;
    type: string;
    value: string;
    purpose: string;
    required: boolean;
    note: string;
  }[];
}
interface DnsCheck {
  name: string;
  type: string;
  value: string;
  status: string;
  detail: string;
}
interface Account {
  id: string;
  address: string;
  displayName: string;
  quotaBytes: number;
  usedBytes: number;
  disabled: boolean;
  orgId: string;
}
interface Alias {
  address: string;
  targets: string[];
  orgId: string;
}
interface Token {
  id: string;
  accountId: string;
  name: string;
  scope: string;
  created: string;
  lastUsed: string | null;
}

const optInt = (s: string): number | null => {
  if (s.trim() === "") return null;
  const n = Number(s);
  return Number.isInteger(n) && n >= 0 ? n : NaN;
};

/** Registers the directory pages. */
export function register(app: WebApp, deps: WebDeps): void {
  /** A list page with a create form; `post` maps the form to an API call. */
  const listPage = <T,>(spec: {
    path: string;
    title: string;
    list: string;
    head: string[];
    row: (item: T, csrf: string) => Child[];
    form: (csrf: string) => Child;
    create: (form: Record<string, string>) => { method: string; path: string; body?: unknown } | string;
    done?: (form: Record<string, string>) => string;
  }) => {
    const render = async (c: WebContext, notice: Notice | null, status: Status = 200) => {
      const p = pageOf(c, deps);
      // The API's opaque cursor, passed through (`?cursor=`) for the next page.
      const cursor = c.req.query("cursor");
      const list = cursor ? `${spec.list}&cursor=${encodeURIComponent(cursor.slice(0, 512))}` : spec.list;
      const r = await p.api<Page<T>>("GET", list);
      const body = r.ok
        ? (
          <>
            <Table head={spec.head} rows={r.body.items.map((i) => spec.row(i, p.csrf))} />
            {r.body.nextCursor && (
              <p>
                <a href={`${spec.path}?cursor=${encodeURIComponent(r.body.nextCursor)}`}>Next page</a>
              </p>
            )}
          </>
        )
        : <p class="notice error">{problemText(r.problem!)}</p>;
      return adminPage(c, deps, spec.title, spec.path, <>{body}{spec.form(p.csrf)}</>, notice, status);
    };
    app.get(spec.path, (c) => render(c, null));
    app.post(spec.path, async (c) => {
      const p = pageOf(c, deps);
      const call = spec.create(p.form);
      if (typeof call === "string") return await render(c, { kind: "error", text: call }, 400);
      const r = await p.api(call.method, call.path, call.body);
      if (!r.ok) {
        return await render(c, { kind: "error", text: problemText(r.problem!) }, errorStatus(r.status));
      }
      return c.redirect(spec.done?.(p.form) ?? `${spec.path}?done=created`, 303);
    });
  };

  /** A POST that calls one API operation and returns to `back`. */
  const action = (
    path: string,
    call: (c: WebContext) => { method: string; path: string },
    back: string,
    done: string,
  ) => {
    app.post(path, async (c) => {
      const p = pageOf(c, deps);
      const { method, path: apiPath } = call(c);
      const r = await p.api(method, apiPath);
      if (!r.ok) {
        return adminPage(c, deps, "Error", back, <a href={back}>Back</a>, {
          kind: "error",
          text: problemText(r.problem!),
        }, errorStatus(r.status));
      }
      return c.redirect(`${back}?done=${done}`, 303);
    });
  };

  // ---- Organizations ----
  listPage<Org>({
    path: "/admin/organizations",
    title: "Organizations",
    list: "/organizations?limit=200",
    head: ["Id", "Name", "Plan", "Domains", "Accounts", "Storage", ""],
    row: (o, csrf) => [
      <a href={`/admin/organizations/${seg(o.id)}`}>{o.id}</a>,
      o.name,
      o.planId ?? "—",
      o.domains.join(", ") || "—",
      String(o.resources.accounts),
      bytes(o.resources.storageBytes),
      <PostButton
        action={`/admin/organizations/${seg(o.id)}/delete`}
        csrf={csrf}
        label="Delete"
        danger
        title={`Delete organization ${o.id}`}
      />,
    ],
    form: (csrf) => (
      <form method="post" action="/admin/organizations" class="card">
        <h2>New organization</h2>
        <Csrf token={csrf} />
        <Field name="id" label="Id" required hint="Lower-case letters, digits and dashes." />
        <Field name="name" label="Name" />
        <Field name="plan" label="Plan id (optional)" />
        <Field name="domains" label="Domains (optional, comma-separated)" />
        <button type="submit">Create organization</button>
      </form>
    ),
    create: (f) => {
      const domains = field(f, "domains").split(",").map((d) => d.trim()).filter((d) => d !== "");
      return {
        method: "POST",
        path: "/organizations",
        body: {
          id: field(f, "id"),
          ...(field(f, "name") ? { name: field(f, "name") } : {}),
          ...(field(f, "plan") ? { plan: field(f, "plan") } : {}),
          ...(domains.length ? { domains } : {}),
        },
      };
    },
  });
  app.get("/admin/organizations/:id", async (c) => {
    const p = pageOf(c, deps);
    const o = await p.get<OrgDetails>(`/organizations/${seg(c.req.param("id"))}`);
    const plans = await p.api<Page<Plan>>("GET", "/plans?limit=500");
    const platform = p.me.role === "platform-admin";
    return adminPage(
      c,
      deps,
      `Organization ${o.id}`,
      "/admin/organizations",
      <>
        <p>
          {o.name}; plan {o.planId ?? "none"}; domains {o.domains.join(", ") || "none"};{" "}
          {o.resources.accounts} accounts, {bytes(o.resources.storageBytes)} stored
        </p>
        {platform && plans.ok && (
          <form method="post" action={`/admin/organizations/${seg(o.id)}/plan`} class="card">
            <h2>Plan</h2>
            <Csrf token={p.csrf} />
            <Select
              name="plan"
              label="Plan"
              options={[
                ["", "No plan (unlimited)"],
                ...plans.body.items.map((pl): [string, string] => [pl.id, pl.name || pl.id]),
              ]}
              value={o.planId ?? ""}
            />
            <button type="submit">Change plan</button>
          </form>
        )}
        <h2>Roles</h2>
        <Table
          head={["Account", "Role"]}
          rows={o.roles.map((r) => [r.address, r.role])}
          empty="Nobody has a role yet."
        />
        <form method="post" action={`/admin/organizations/${seg(o.id)}/role`} class="card">
          <h2>Give a role</h2>
          <Csrf token={p.csrf} />
          <Field name="address" label="Account address" type="email" required />
          <Select
            name="role"
            label="Role"
            options={[["member", "Member"], ["admin", "Administrator"], ["owner", "Owner"]]}
          />
          <button type="submit">Set role</button>
        </form>
      </>,
    );
  });
  app.post("/admin/organizations/:id/plan", async (c) => {
    const p = pageOf(c, deps);
    const id = c.req.param("id");
    const plan = field(p.form, "plan");
    const r = await p.api("PATCH", `/organizations/${seg(id)}`, { plan: plan === "" ? null : plan });
    if (!r.ok) {
      return adminPage(
        c,
        deps,
        "Error",
        "/admin/organizations",
        <a href={`/admin/organizations/${seg(id)}`}>Back</a>,
        {
          kind: "error",
          text: problemText(r.problem!),
        },
        errorStatus(r.status),
      );
    }
    return c.redirect(`/admin/organizations/${seg(id)}?done=saved`, 303);
  });
  app.post("/admin/organizations/:id/role", async (c) => {
    const p = pageOf(c, deps);
    const id = c.req.param("id");
    const role = ["member", "admin", "owner"].includes(p.form.role ?? "") ? p.form.role : "member";
    const r = await p.api("PUT", `/organizations/${seg(id)}/roles`, {
      address: field(p.form, "address"),
      role,
    });
    if (!r.ok) {
      return adminPage(
        c,
        deps,
        "Error",
        "/admin/organizations",
        <a href={`/admin/organizations/${seg(id)}`}>Back</a>,
        {
          kind: "error",
          text: problemText(r.problem!),
        },
        errorStatus(r.status),
      );
    }
    return c.redirect(`/admin/organizations/${seg(id)}?done=saved`, 303);
  });
  action(
    "/admin/organizations/:id/delete",
    (c) => ({ method: "DELETE", path: `/organizations/${seg(c.req.param("id"))}` }),
    "/admin/organizations",
    "deleted",
  );

  // ---- Plans ----
  const LIMITS: [string, string][] = [
    ["accounts", "Accounts"],
    ["domains", "Domains"],
    ["storageBytes", "Storage (bytes)"],
    ["sentPerDay", "Messages sent per day"],
    ["receivedPerDay", "Messages received per day"],
  ];
  listPage<Plan>({
    path: "/admin/plans",
    title: "Plans",
    list: "/plans?limit=200",
    head: ["Id", "Name", "Limits", "Features", ""],
    row: (pl, csrf) => [
      pl.id,
      pl.name,
      Object.entries(pl.limits).filter(([, v]) => v !== null).map(([k, v]) =>
        k === "storageBytes" || k === "maxMessageSize" ? `${k} ${bytes(v!)}` : `${k} ${v}`
      ).join(", ") || "unlimited",
      Object.entries(pl.features).filter(([, v]) => v).map(([k]) => k).join(", ") || "—",
      <PostButton
        action={`/admin/plans/${seg(pl.id)}/delete`}
        csrf={csrf}
        label="Delete"
        danger
        title={`Delete plan ${pl.id}`}
      />,
    ],
    form: (csrf) => (
      <form method="post" action="/admin/plans" class="card">
        <h2>New plan</h2>
        <Csrf token={csrf} />
        <Field name="id" label="Id" required />
        <Field name="name" label="Name" />
        {LIMITS.map(([k, label]) => (
          <Field name={k} label={`${label} (empty: unlimited)`} type="number" min="0" />
        ))}
        <button type="submit">Create plan</button>
      </form>
    ),
    create: (f) => {
      const limits: Record<string, number | null> = {};
      for (const [k, label] of LIMITS) {
        const v = optInt(f[k] ?? "");
        if (Number.isNaN(v)) return `${label} must be a whole number.`;
        limits[k] = v;
      }
      return {
        method: "POST",
        path: "/plans",
        body: { id: field(f, "id"), ...(field(f, "name") ? { name: field(f, "name") } : {}), limits },
      };
    },
  });
  action(
    "/admin/plans/:id/delete",
    (c) => ({ method: "DELETE", path: `/plans/${seg(c.req.param("id"))}` }),
    "/admin/plans",
    "deleted",
  );

  // ---- Domains ----
  listPage<Domain>({
    path: "/admin/domains",
    title: "Domains",
    list: "/domains?limit=200",
    head: ["Domain", "Organization", "Added", ""],
    row: (d) => [
      <a href={`/admin/domains/${seg(d.name)}`}>{d.name}</a>,
      d.orgId,
      when(d.created),
      <a href={`/admin/domains/${seg(d.name)}`} aria-label={`DNS records of ${d.name}`}>DNS records</a>,
    ],
    form: (csrf) => (
      <form method="post" action="/admin/domains" class="card">
        <h2>New domain</h2>
        <Csrf token={csrf} />
        <Field name="name" label="Domain name" required />
        <button type="submit">Add domain</button>
      </form>
    ),
    create: (f) => ({ method: "POST", path: "/domains", body: { name: field(f, "name") } }),
    done: (f) => `/admin/domains/${seg(field(f, "name").toLowerCase())}?done=created`,
  });
  app.get("/admin/domains/:name", async (c) => {
    const p = pageOf(c, deps);
    const d = await p.get<DomainDetails>(`/domains/${seg(c.req.param("name"))}`);
    // The live check only when asked (it queries DNS): `?check=1`.
    const live = c.req.query("check") === "1"
      ? await p.get<{ allRequiredOk: boolean; checks: DnsCheck[] }>(`/domains/${seg(d.name)}/dns-check`)
      : null;
    const verdict = (r: DomainDetails["dnsRecords"][number]) =>
      live?.checks.find((k) => k.name === r.name && k.type === r.type && k.value === r.value);
    return adminPage(
      c,
      deps,
      `Domain ${d.name}`,
      "/admin/domains",
      <>
        <p>
          Organization {d.orgId}; DKIM keys:{" "}
          {d.dkim.map((k) => `${k.selector} (${k.algorithm})`).join(", ") || "none"}
        </p>
        {d.dkim.length === 0 && (
          <PostButton action={`/admin/domains/${seg(d.name)}/dkim`} csrf={p.csrf} label="Create DKIM keys" />
        )}
        <h2>DNS records to publish</h2>
        {live
          ? (
            <p class={live.allRequiredOk ? "status-ok" : "status-missing"} role="status">
              {live.allRequiredOk
                ? "Every required record is published."
                : "Some required records are missing or wrong."}
            </p>
          )
          : (
            <p>
              <a href={`/admin/domains/${seg(d.name)}?check=1`}>Check what DNS answers now</a>
            </p>
          )}
        <Table
          head={["Name", "Type", "Value", "Purpose", "Required", ...(live ? ["Published"] : [])]}
          rows={d.dnsRecords.map((r) => [
            r.name,
            r.type,
            <span class="wrap">{r.value}</span>,
            <>
              {r.purpose}
              {r.note && <div class="muted">{r.note}</div>}
            </>,
            r.required ? "yes" : "optional",
            ...(live
              ? [
                <span class={`status-${verdict(r)?.status ?? "error"}`}>
                  {verdict(r)?.status ?? "not checked"}
                  {verdict(r)?.detail && <div class="muted">{verdict(r)!.detail}</div>}
                </span>,
              ]
              : []),
          ])}
        />
        <PostButton
          action={`/admin/domains/${seg(d.name)}/delete`}
          csrf={p.csrf}
          label="Delete domain"
          danger
        />
      </>,
    );
  });
  action(
    "/admin/domains/:name/dkim",
    (c) => ({ method: "POST", path: `/domains/${seg(c.req.param("name"))}/dkim` }),
    "/admin/domains",
    "created",
  );
  action(
    "/admin/domains/:name/delete",
    (c) => ({ method: "DELETE", path: `/domains/${seg(c.req.param("name"))}` }),
    "/admin/domains",
    "deleted",
  );

  // ---- Accounts ----
  listPage<Account>({
    path: "/admin/accounts",
    title: "Accounts",
    list: "/accounts?limit=200",
    head: ["Address", "Name", "Storage", "Organization", "State", ""],
    row: (a, csrf) => [
      <a href={`/admin/accounts/${seg(a.id)}`}>{a.address}</a>,
      a.displayName,
      a.quotaBytes > 0 ? `${bytes(a.usedBytes)} of ${bytes(a.quotaBytes)}` : bytes(a.usedBytes),
      a.orgId,
      a.disabled ? "disabled" : "active",
      <PostButton
        action={`/admin/accounts/${seg(a.id)}/${a.disabled ? "enable" : "disable"}`}
        csrf={csrf}
        label={a.disabled ? "Enable" : "Disable"}
        danger={!a.disabled}
        title={`${a.disabled ? "Enable" : "Disable"} ${a.address}`}
      />,
    ],
    form: (csrf) => (
      <form method="post" action="/admin/accounts" class="card">
        <h2>New account</h2>
        <Csrf token={csrf} />
        <Field name="address" label="Address" type="email" required autocomplete="off" />
        <Field name="password" label="Password" type="password" required autocomplete="new-password" />
        <Field name="displayName" label="Display name" />
        <Field name="quotaMiB" label="Quota in MiB (empty: none)" type="number" min="0" />
        <button type="submit">Create account</button>
      </form>
    ),
    create: (f) => {
      const q = optInt(f.quotaMiB ?? "");
      if (Number.isNaN(q)) return "The quota must be a whole number of MiB.";
      return {
        method: "POST",
        path: "/accounts",
        body: {
          address: field(f, "address"),
          password: f.password ?? "",
          ...(field(f, "displayName") ? { displayName: field(f, "displayName") } : {}),
          ...(q !== null ? { quotaBytes: q * 1024 * 1024 } : {}),
        },
      };
    },
  });
  app.get("/admin/accounts/:id", async (c) => {
    const p = pageOf(c, deps);
    const a = await p.get<Account>(`/accounts/${seg(c.req.param("id"))}`);
    const path = `/admin/accounts/${seg(a.id)}`;
    return adminPage(
      c,
      deps,
      `Account ${a.address}`,
      "/admin/accounts",
      <>
        <p>
          {a.quotaBytes > 0
            ? `${bytes(a.usedBytes)} of ${bytes(a.quotaBytes)}`
            : `${bytes(a.usedBytes)} (no quota)`}; organization {a.orgId};{" "}
          {a.disabled ? "disabled" : "active"}
        </p>
        <form method="post" action={`${path}/update`} class="card">
          <h2>Settings</h2>
          <Csrf token={p.csrf} />
          <Field name="displayName" label="Display name" value={a.displayName} />
          <Field
            name="quotaMiB"
            label="Quota in MiB (0: none)"
            type="number"
            min="0"
            value={String(Math.round(a.quotaBytes / 1048576))}
          />
          <Field
            name="password"
            label="New password (empty: unchanged)"
            type="password"
            autocomplete="new-password"
            hint="Setting one logs the account out everywhere."
          />
          <button type="submit">Save</button>
        </form>
        <PostButton action={`${path}/delete`} csrf={p.csrf} label="Delete account" danger />
      </>,
    );
  });
  app.post("/admin/accounts/:id/update", async (c) => {
    const p = pageOf(c, deps);
    const id = c.req.param("id");
    const q = optInt(p.form.quotaMiB ?? "");
    const back = `/admin/accounts/${seg(id)}`;
    const fail = (text: string, status: Status) =>
      adminPage(
        c,
        deps,
        "Error",
        "/admin/accounts",
        <a href={back}>Back</a>,
        { kind: "error", text },
        status,
      );
    if (Number.isNaN(q)) return fail("The quota must be a whole number of MiB.", 400);
    const password = p.form.password ?? "";
    const r = await p.api("PATCH", `/accounts/${seg(id)}`, {
      displayName: field(p.form, "displayName"),
      ...(q !== null ? { quotaBytes: q * 1048576 } : {}),
      ...(password !== "" ? { password } : {}),
    });
    if (!r.ok) return fail(problemText(r.problem!), errorStatus(r.status));
    return c.redirect(`${back}?done=saved`, 303);
  });
  action(
    "/admin/accounts/:id/delete",
    (c) => ({ method: "DELETE", path: `/accounts/${seg(c.req.param("id"))}` }),
    "/admin/accounts",
    "deleted",
  );
  for (const [verb, disabled] of [["disable", true], ["enable", false]] as const) {
    app.post(`/admin/accounts/:id/${verb}`, async (c) => {
      const p = pageOf(c, deps);
      const r = await p.api("PATCH", `/accounts/${seg(c.req.param("id"))}`, { disabled });
      if (!r.ok) {
        return adminPage(c, deps, "Error", "/admin/accounts", <a href="/admin/accounts">Back</a>, {
          kind: "error",
          text: problemText(r.problem!),
        }, errorStatus(r.status));
      }
      return c.redirect("/admin/accounts?done=saved", 303);
    });
  }

  // ---- Aliases ----
  listPage<Alias>({
    path: "/admin/aliases",
    title: "Aliases",
    list: "/aliases?limit=200",
    head: ["Address", "Delivers to", "Organization", ""],
    row: (a, csrf) => [
      a.address,
      a.targets.join(", "),
      a.orgId,
      <PostButton
        action={`/admin/aliases/${seg(a.address)}/delete`}
        csrf={csrf}
        label="Delete"
        danger
        title={`Delete alias ${a.address}`}
      />,
    ],
    form: (csrf) => (
      <form method="post" action="/admin/aliases" class="card">
        <h2>New alias</h2>
        <Csrf token={csrf} />
        <Field name="address" label="Alias address" type="email" required />
        <Field name="targets" label="Delivers to (comma-separated)" required />
        <button type="submit">Create alias</button>
      </form>
    ),
    create: (f) => ({
      method: "POST",
      path: "/aliases",
      body: {
        address: field(f, "address"),
        targets: field(f, "targets").split(",").map((t) => t.trim()).filter((t) => t !== ""),
      },
    }),
  });
  action(
    "/admin/aliases/:address/delete",
    (c) => ({ method: "DELETE", path: `/aliases/${seg(c.req.param("address"))}` }),
    "/admin/aliases",
    "deleted",
  );

  // ---- API tokens (every token the caller's reach covers) ----
  app.get("/admin/tokens", async (c) => {
    const p = pageOf(c, deps);
    const r = await p.api<Page<Token>>("GET", "/tokens?limit=200");
    return adminPage(
      c,
      deps,
      "API tokens",
      "/admin/tokens",
      r.ok
        ? (
          <Table
            head={["Name", "Account", "Scope", "Created", "Last used", ""]}
            rows={r.body.items.map((t) => [
              t.name,
              t.accountId,
              t.scope,
              when(t.created),
              when(t.lastUsed),
              <PostButton
                action={`/admin/tokens/${seg(t.id)}/revoke`}
                csrf={p.csrf}
                label="Revoke"
                danger
                title={`Revoke token ${t.name}`}
              />,
            ])}
          />
        )
        : <p class="notice error">{problemText(r.problem!)}</p>,
    );
  });
  action(
    "/admin/tokens/:id/revoke",
    (c) => ({ method: "DELETE", path: `/tokens/${seg(c.req.param("id"))}` }),
    "/admin/tokens",
    "revoked",
  );
}
