/** @jsxImportSource hono/jsx */
// deno-lint-ignore-file jsx-key -- server-rendered once: no reconciliation, keys serve nothing
/**
 * Sieve filters (RFC 5228) for every user: the account's scripts, the raw script editor (a
 * script that does not compile is refused with the line and column of the error, and the text
 * typed is kept), and a simple rule form that writes a Sieve rule. Through the admin API's
 * `/accounts/{id}/sieve` routes (core/sieve/scripts.ts rules).
 *
 * @module
 */
import { problemText } from "../api_client.ts";
import { Check, Csrf, Field, Layout, type Notice, PostButton, Select, Table, when } from "../layout.tsx";
import { doneNotice, field, pageOf, seg, type WebApp, type WebContext, type WebDeps } from "../web_env.ts";

interface Script {
  name: string;
  isActive: boolean;
  size: number;
  updatedAt: string;
}

/** A Sieve string literal (RFC 5228 §2.4.2: backslash escapes `"` and `\`). */
export function sieveString(s: string): string {
  return `"${s.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;
}

/** The Sieve rule of the simple form: if a header contains a text, file into a mailbox (or discard). */
export function ruleScript(header: string, contains: string, folder: string): string {
  const action = folder === "" ? "discard;" : `fileinto ${sieveString(folder)};`;
  return [
    ...(folder === "" ? [] : ['require "fileinto";']),
    `if header :contains ${sieveString(header)} ${sieveString(contains)} {`,
    `  ${action}`,
    "}",
    "",
  ].join("\n");
}

const HEADERS: [string, string][] = [["subject", "Subject"], ["from", "From"], ["to", "To"], [
  "list-id",
  "List-Id",
]];

/** Registers the filter pages. */
export function register(app: WebApp, deps: WebDeps): void {
  const render = async (
    c: WebContext,
    notice: Notice | null,
    status: 200 | 400 | 403 | 409 = 200,
    draft?: { name: string; content: string; active: boolean },
  ) => {
    const p = pageOf(c, deps);
    const base = `/accounts/${seg(p.me.accountId)}/sieve`;
    const { items } = await p.get<{ items: Script[] }>(base);
    const editing = draft ?? await (async () => {
      const name = c.req.query("edit") ?? items.find((s) => s.isActive)?.name ?? items[0]?.name;
      if (!name) return { name: "main", content: "", active: true };
      const r = await p.api<Script & { content: string }>("GET", `${base}/${seg(name)}`);
      return r.ok
        ? { name: r.body.name, content: r.body.content, active: r.body.isActive }
        : { name: "main", content: "", active: true };
    })();
    const error = status === 400 && notice ? notice.text : null;
    return c.html(
      <Layout
        title="Filters"
        me={p.me}
        csrf={p.csrf}
        path="/account/filters"
        notice={notice ?? doneNotice(c)}
      >
        <Table
          head={["Script", "Active", "Size", "Changed", ""]}
          rows={items.map((s) => [
            <a href={`/account/filters?edit=${seg(s.name)}`}>{s.name}</a>,
            s.isActive ? "yes" : "no",
            `${s.size} B`,
            when(s.updatedAt),
            <PostButton
              action={`/account/filters/${seg(s.name)}/delete`}
              csrf={p.csrf}
              label="Delete"
              danger
              title={`Delete script ${s.name}`}
            />,
          ])}
          empty="No filters yet."
        />
        <form method="post" action="/account/filters" class="card">
          <h2>Edit a script</h2>
          <Csrf token={p.csrf} />
          <Field name="name" label="Script name" value={editing.name} required />
          <div>
            <label for="f-content">Sieve script</label>
            <textarea
              id="f-content"
              name="content"
              spellcheck={false}
              aria-invalid={error ? "true" : undefined}
              aria-describedby={error ? "content-error" : undefined}
            >
              {editing.content}
            </textarea>
            {error && <div id="content-error" class="muted">{error}</div>}
          </div>
          <Check name="active" label="Use this script (the active one)" checked={editing.active} />
          <button type="submit">Save script</button>
        </form>
        <form method="post" action="/account/filters/rule" class="card">
          <h2>New simple rule</h2>
          <p class="muted">Writes a script named “rule-…” and makes it the active one.</p>
          <Csrf token={p.csrf} />
          <Select name="header" label="When the header" options={HEADERS} value="subject" />
          <Field name="contains" label="contains" required />
          <Field name="folder" label="move the message to the mailbox (empty: delete it)" />
          <button type="submit">Create rule</button>
        </form>
      </Layout>,
      status,
    );
  };

  app.get("/account/filters", (c) => render(c, null));

  const save = async (c: WebContext, name: string, content: string, active: boolean) => {
    const p = pageOf(c, deps);
    const r = await p.api("PUT", `/accounts/${seg(p.me.accountId)}/sieve/${seg(name)}`, { content, active });
    if (!r.ok) {
      const status = r.status === 403 ? 403 : r.status === 409 ? 409 : 400;
      // A syntax error: just "line L, column C: what", next to the script.
      const syntax = r.problem?.errors?.find((e) => e.pointer === "json.content")?.detail;
      const text = syntax ?? problemText(r.problem!);
      return await render(c, { kind: "error", text }, status, { name, content, active });
    }
    return c.redirect(`/account/filters?edit=${seg(name)}&done=saved`, 303);
  };

  app.post("/account/filters", async (c) => {
    const p = pageOf(c, deps);
    return await save(c, field(p.form, "name"), p.form.content ?? "", p.form.active === "on");
  });

  app.post("/account/filters/rule", async (c) => {
    const p = pageOf(c, deps);
    const header = HEADERS.some(([h]) => h === p.form.header) ? p.form.header! : "subject";
    const contains = field(p.form, "contains");
    const name = `rule-${header}-${contains.toLowerCase().replace(/[^a-z0-9]+/g, "-").slice(0, 40)}`;
    return await save(c, name, ruleScript(header, contains, field(p.form, "folder")), true);
  });

  app.post("/account/filters/:name/delete", async (c) => {
    const p = pageOf(c, deps);
    const r = await p.api("DELETE", `/accounts/${seg(p.me.accountId)}/sieve/${seg(c.req.param("name"))}`);
    if (!r.ok && r.status !== 404) {
      return await render(c, { kind: "error", text: problemText(r.problem!) }, 400);
    }
    return c.redirect("/account/filters?done=deleted", 303);
  });
}
