/** @jsxImportSource hono/jsx */
// deno-lint-ignore-file jsx-key -- server-rendered once: no reconciliation, keys serve nothing
/**
 * The admin area's operations pages: the dashboard (component health, queue depth, deliveries
 * and bounces per day as an SVG chart, storage against plan limits), the outbound queue with retry
 * and delete, the audit log and security events with filters, login sessions with revoke, and
 * webhooks with their delivery log. Sections the caller's role may not read are left out (the
 * admin API decides).
 *
 * @module
 */
import { problemText } from "../api_client.ts";
import { BarChart } from "../charts.tsx";
import { bytes, Check, Csrf, Field, type Notice, PostButton, Select, Table, when } from "../layout.tsx";
import { field, pageOf, seg, type WebApp, type WebContext, type WebDeps } from "../web_env.ts";
import { adminPage, errorStatus } from "./admin.tsx";
import { WEBHOOK_EVENTS } from "../../../core/store/types.ts";

interface Health {
  status: string;
  checkedAt: string;
  components: { name: string; status: string; responseMs: number; detail: string }[];
}
interface QueueStats {
  messages: number;
  recipients: { queued: number; deferred: number; delivered: number; failed: number };
  bytes: number;
  oldest: string | null;
}
interface Stats {
  accounts: number;
  organizations: number;
  domains: number;
  messages: number;
  bytes: number;
  days: { day: string; deliveredLocal: number; deliveredRemote: number; deferred: number; bounced: number }[];
}
interface UsageRow {
  orgId: string;
  month: string;
  counts: { received: number; sent: number; apiCalls: number };
  storageBytes: number;
  limits: Record<string, number | null> | null;
}
interface QueueItem {
  id: string;
  from: string | null;
  size: number;
  createdAt: string;
  recipients: number;
  pending: number;
  nextAttemptAt: string | null;
  lastReply: string | null;
}
interface AuditEntry {
  id: string;
  at: string;
  kind: string;
  action: string;
  actor: string;
  orgId: string | null;
  target: string | null;
  ip: string | null;
}
interface Account {
  id: string;
  address: string;
}
interface Webhook {
  id: string;
  scope: string;
  url: string;
  events: string[];
  enabled: boolean;
  failures: number;
}
interface Delivery {
  id: string;
  event: string;
  status: string;
  attempts: number;
  createdAt: string;
  lastStatusCode: number | null;
  lastError: string | null;
}

/** Registers the operations pages. */
export function register(app: WebApp, deps: WebDeps): void {
  app.get("/admin", async (c) => {
    const p = pageOf(c, deps);
    const [health, queue, stats, usage] = await Promise.all([
      p.api<Health>("GET", "/admin/health"),
      p.api<QueueStats>("GET", "/queue/stats"),
      p.api<Stats>("GET", "/admin/stats?days=14"),
      p.api<{ items: UsageRow[] }>("GET", "/usage"),
    ]);
    return adminPage(
      c,
      deps,
      "Dashboard",
      "/admin",
      <>
        <div class="grid">
          {stats.ok && (
            <section class="card" aria-labelledby="totals-h">
              <h2 id="totals-h">Totals</h2>
              <p>
                <span class="stat" id="stat-messages">{stats.body.messages}</span> messages,{" "}
                {bytes(stats.body.bytes)}
              </p>
              <p>
                {stats.body.accounts} accounts, {stats.body.domains} domains, {stats.body.organizations}{" "}
                organizations
              </p>
            </section>
          )}
          {queue.ok && (
            <section class="card" aria-labelledby="queue-h">
              <h2 id="queue-h">Outbound queue</h2>
              <p>
                <span class="stat" id="stat-queue">{queue.body.messages}</span> messages waiting
              </p>
              <p>
                {queue.body.recipients.queued} queued, {queue.body.recipients.deferred} deferred,{" "}
                {queue.body.recipients.failed} failed; oldest {when(queue.body.oldest)}
              </p>
              <a href="/admin/queue">Open the queue</a>
            </section>
          )}
          {health.ok && (
            <section class="card" aria-labelledby="health-h">
              <h2 id="health-h">
                Health: <span class={`status-${health.body.status}`}>{health.body.status}</span>
              </h2>
              <Table
                head={["Component", "Status", "Time"]}
                rows={health.body.components.map((k) => [
                  k.name,
                  <span class={`status-${k.status}`}>{k.status}</span>,
                  `${k.responseMs.toFixed(1)} ms`,
                ])}
              />
            </section>
          )}
        </div>
        {stats.ok && (
          <section aria-labelledby="chart-h">
            <h2 id="chart-h">Deliveries and bounces per day</h2>
            <BarChart
              id="deliveries"
              title="Deliveries and bounces per day"
              labels={stats.body.days.map((d) => d.day)}
              series={[
                {
                  name: "delivered",
                  color: "#2f81f7",
                  values: stats.body.days.map((d) => d.deliveredLocal + d.deliveredRemote),
                },
                { name: "deferred", color: "#d29922", values: stats.body.days.map((d) => d.deferred) },
                { name: "bounced", color: "#da3633", values: stats.body.days.map((d) => d.bounced) },
              ]}
            />
            <Table
              caption="The same numbers"
              head={["Day", "Delivered here", "Delivered out", "Deferred", "Bounced"]}
              rows={stats.body.days.map((d) => [
                d.day,
                String(d.deliveredLocal),
                String(d.deliveredRemote),
                String(d.deferred),
                String(d.bounced),
              ])}
            />
          </section>
        )}
        {usage.ok && (
          <section aria-labelledby="usage-h">
            <h2 id="usage-h">Storage and sending against plan limits</h2>
            <Table
              head={["Organization", "Month", "Storage", "Sent", "Received"]}
              rows={usage.body.items.map((u) => {
                const cap = u.limits?.storageBytes ?? null;
                return [
                  u.orgId,
                  u.month,
                  cap
                    ? (
                      <>
                        <meter
                          min={0}
                          max={cap}
                          value={u.storageBytes}
                          high={cap * 0.9}
                          aria-label={`Storage of ${u.orgId}`}
                        />
                        {` ${bytes(u.storageBytes)} of ${bytes(cap)}`}
                      </>
                    )
                    : `${bytes(u.storageBytes)} (no limit)`,
                  `${u.counts.sent}${u.limits?.sentPerDay ? ` (${u.limits.sentPerDay}/day allowed)` : ""}`,
                  String(u.counts.received),
                ];
              })}
            />
          </section>
        )}
        {!stats.ok && !queue.ok && !health.ok && (
          <p class="muted">The platform statistics are for platform administrators.</p>
        )}
      </>,
    );
  });

  // ---- Queue ----
  app.get("/admin/queue", async (c) => {
    const p = pageOf(c, deps);
    const r = await p.api<{ items: QueueItem[] }>("GET", "/queue?limit=200");
    return adminPage(
      c,
      deps,
      "Outbound queue",
      "/admin/queue",
      r.ok
        ? (
          <>
            <Table
              head={["Id", "From", "Size", "Queued", "Pending", "Next attempt", "Last reply", ""]}
              rows={r.body.items.map((q) => [
                <span class="wrap">{q.id}</span>,
                q.from ?? "<>",
                bytes(q.size),
                when(q.createdAt),
                `${q.pending} of ${q.recipients}`,
                when(q.nextAttemptAt),
                q.lastReply ?? "—",
                <>
                  <PostButton
                    action={`/admin/queue/${seg(q.id)}/retry`}
                    csrf={p.csrf}
                    label="Retry now"
                    title={`Retry message ${q.id} now`}
                  />{" "}
                  <PostButton
                    action={`/admin/queue/${seg(q.id)}/delete`}
                    csrf={p.csrf}
                    label="Delete"
                    danger
                    title={`Delete message ${q.id}`}
                  />
                </>,
              ])}
              empty="The queue is empty."
            />
          </>
        )
        : <p class="notice error">{problemText(r.problem!)}</p>,
    );
  });
  for (
    const [verb, method, suffix, done] of [
      ["retry", "POST", "/retry", "retried"],
      ["delete", "DELETE", "", "deleted"],
    ] as const
  ) {
    app.post(`/admin/queue/:id/${verb}`, async (c) => {
      const p = pageOf(c, deps);
      const r = await p.api(method, `/queue/${seg(c.req.param("id"))}${suffix}`);
      if (!r.ok) {
        return adminPage(c, deps, "Error", "/admin/queue", <a href="/admin/queue">Back</a>, {
          kind: "error",
          text: problemText(r.problem!),
        }, errorStatus(r.status));
      }
      return c.redirect(`/admin/queue?done=${done}`, 303);
    });
  }

  // ---- Audit log and security events ----
  app.get("/admin/audit", async (c) => {
    const p = pageOf(c, deps);
    const kind = c.req.query("kind");
    const act = (c.req.query("action") ?? "").trim().slice(0, 100);
    const q = new URLSearchParams({ limit: "100" });
    if (kind === "change" || kind === "security") q.set("kind", kind);
    if (act !== "") q.set("action", act);
    // A platform administrator reads the whole log, or one organization's; others their own.
    const org = (c.req.query("org") ?? "").trim().slice(0, 64);
    const platform = p.me.role === "platform-admin";
    if (org !== "") q.set("org", org);
    const r = await p.api<{ items: AuditEntry[] }>(
      "GET",
      platform && org === "" ? `/admin/audit?${q}` : `/audit?${q}`,
    );
    return adminPage(
      c,
      deps,
      "Audit log",
      "/admin/audit",
      <>
        <form method="get" action="/admin/audit" class="card">
          <Select
            name="kind"
            label="Kind"
            options={[["", "Everything"], ["change", "Changes"], ["security", "Security events"]]}
            value={kind ?? ""}
          />
          <Field name="action" label="Action (e.g. session.revoke)" value={act} />
          {platform && <Field name="org" label="Organization (empty: all)" value={org} />}
          <button type="submit">Filter</button>
        </form>
        {r.ok
          ? (
            <Table
              head={["When", "Kind", "Action", "Actor", "Organization", "Target", "IP"]}
              rows={r.body.items.map((e) => [
                when(e.at),
                e.kind,
                e.action,
                e.actor,
                e.orgId ?? "—",
                e.target ?? "—",
                e.ip ?? "—",
              ])}
              empty="No entries match."
            />
          )
          : <p class="notice error">{problemText(r.problem!)}</p>}
      </>,
    );
  });

  // ---- Sessions: end every login session of an account ----
  app.get("/admin/sessions", async (c) => {
    const p = pageOf(c, deps);
    const r = await p.api<{ items: Account[] }>("GET", "/accounts?limit=200");
    return adminPage(
      c,
      deps,
      "Login sessions",
      "/admin/sessions",
      <>
        <p>Ending an account's sessions logs it out of the web and the API on every device.</p>
        {r.ok
          ? (
            <Table
              head={["Account", ""]}
              rows={r.body.items.map((a) => [
                a.address,
                <PostButton
                  action="/admin/sessions/revoke"
                  csrf={p.csrf}
                  fields={{ accountId: a.id }}
                  label="End all sessions"
                  danger
                  title={`End all sessions of ${a.address}`}
                />,
              ])}
            />
          )
          : <p class="notice error">{problemText(r.problem!)}</p>}
      </>,
    );
  });
  app.post("/admin/sessions/revoke", async (c) => {
    const p = pageOf(c, deps);
    const r = await p.api<{ revoked: number }>("POST", "/admin/sessions/revoke", {
      accountId: field(p.form, "accountId"),
    });
    if (!r.ok) {
      return adminPage(c, deps, "Error", "/admin/sessions", <a href="/admin/sessions">Back</a>, {
        kind: "error",
        text: problemText(r.problem!),
      }, errorStatus(r.status));
    }
    return c.redirect("/admin/sessions?done=revoked", 303);
  });

  // ---- Webhooks and their delivery log ----
  const webhooksPage = async (
    c: WebContext,
    notice: Notice | null,
    status: 200 | 400 | 403 | 404 | 409 = 200,
  ) => {
    const p = pageOf(c, deps);
    const r = await p.api<{ items: Webhook[] }>("GET", "/webhooks?limit=200");
    return adminPage(
      c,
      deps,
      "Webhooks",
      "/admin/webhooks",
      <>
        {r.ok
          ? (
            <Table
              head={["URL", "Scope", "Events", "State", ""]}
              rows={r.body.items.map((w) => [
                <span class="wrap">{w.url}</span>,
                w.scope,
                w.events.join(", "),
                w.enabled ? `enabled, ${w.failures} failures` : "disabled",
                <>
                  <a href={`/admin/webhooks/${seg(w.id)}`} aria-label={`Delivery log of ${w.url}`}>
                    Deliveries
                  </a>{" "}
                  <PostButton
                    action={`/admin/webhooks/${seg(w.id)}/delete`}
                    csrf={p.csrf}
                    label="Delete"
                    danger
                    title={`Delete the webhook to ${w.url}`}
                  />
                </>,
              ])}
              empty="No webhooks."
            />
          )
          : <p class="notice error">{problemText(r.problem!)}</p>}
        <form method="post" action="/admin/webhooks" class="card">
          <h2>New webhook</h2>
          <Csrf token={p.csrf} />
          <Field
            name="url"
            label="URL"
            type="url"
            required
            hint="HTTPS endpoint that receives signed events."
          />
          <Field
            name="scope"
            label="Scope"
            required
            hint="address:a@example.com, domain:example.com, org:ID or system"
          />
          <fieldset>
            <legend>Events (none: all)</legend>
            {WEBHOOK_EVENTS.map((e) => <Check name={`event.${e}`} label={e} />)}
          </fieldset>
          <button type="submit">Create webhook</button>
        </form>
      </>,
      notice,
      status,
    );
  };
  app.get("/admin/webhooks", (c) => webhooksPage(c, null));
  app.post("/admin/webhooks", async (c) => {
    const p = pageOf(c, deps);
    const events = WEBHOOK_EVENTS.filter((e) => p.form[`event.${e}`] === "on");
    const r = await p.api<{ secret: string }>("POST", "/webhooks", {
      url: field(p.form, "url"),
      scope: field(p.form, "scope"),
      ...(events.length > 0 ? { events } : {}),
    });
    if (!r.ok) {
      const s = errorStatus(r.status);
      return await webhooksPage(
        c,
        { kind: "error", text: problemText(r.problem!) },
        s === 422 || s === 429 ? 400 : s,
      );
    }
    // The signing secret is shown in this response only.
    return await webhooksPage(c, {
      kind: "ok",
      text: `Created. Signing secret (shown once): ${r.body.secret}`,
    });
  });
  app.post("/admin/webhooks/:id/delete", async (c) => {
    const p = pageOf(c, deps);
    const r = await p.api("DELETE", `/webhooks/${seg(c.req.param("id"))}`);
    if (!r.ok) return await webhooksPage(c, { kind: "error", text: problemText(r.problem!) }, 400);
    return c.redirect("/admin/webhooks?done=deleted", 303);
  });
  app.get("/admin/webhooks/:id", async (c) => {
    const p = pageOf(c, deps);
    const id = c.req.param("id");
    const hook = await p.get<Webhook>(`/webhooks/${seg(id)}`);
    const r = await p.api<{ items: Delivery[] }>("GET", `/webhooks/${seg(id)}/deliveries?limit=100`);
    return adminPage(
      c,
      deps,
      `Webhook deliveries`,
      "/admin/webhooks",
      <>
        <p class="wrap">{hook.url}</p>
        {r.ok
          ? (
            <Table
              head={["Created", "Event", "Status", "Attempts", "Last answer"]}
              rows={r.body.items.map((d) => [
                when(d.createdAt),
                d.event,
                d.status,
                String(d.attempts),
                d.lastStatusCode !== null ? String(d.lastStatusCode) : d.lastError ?? "—",
              ])}
              empty="No deliveries yet."
            />
          )
          : <p class="notice error">{problemText(r.problem!)}</p>}
      </>,
    );
  });
}
