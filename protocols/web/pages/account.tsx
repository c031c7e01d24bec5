/** @jsxImportSource hono/jsx */
// deno-lint-ignore-file jsx-key -- server-rendered once: no reconciliation, keys serve nothing
/**
 * Account self-service (every user): overview with quota use and client setup (server names and
 * ports, the Apple `.mobileconfig` link and its QR code), password change, API tokens, login
 * sessions with revoke, and the vacation reply. Everything through the admin API.
 *
 * @module
 */
import { raw } from "hono/html";
// @ts-types="@types/qrcode"
import QRCode from "qrcode";
import { clientEndpoints } from "../../../core/setup/autoconfig.ts";
import { ApiFailure, problemText } from "../api_client.ts";
import {
  bytes,
  Check,
  Csrf,
  Field,
  Layout,
  type Me,
  type Notice,
  PostButton,
  Select,
  Table,
  when,
} from "../layout.tsx";
import {
  doneNotice,
  field,
  pageOf,
  seg,
  type WebApp,
  type WebContext,
  type WebDeps,
  writeLoginCookie,
} from "../web_env.ts";
import type { Child } from "hono/jsx";

interface AccountView {
  id: string;
  address: string;
  displayName: string;
  quotaBytes: number;
  usedBytes: number;
  disabled: boolean;
}

interface SessionView {
  id: string;
  userAgent: string;
  ip: string;
  created: string;
  lastSeen: string;
  current: boolean;
}

interface TokenView {
  id: string;
  accountId: string;
  name: string;
  scope: string;
  created: string;
  lastUsed: string | null;
}

interface VacationView {
  isEnabled: boolean;
  fromDate: string | null;
  toDate: string | null;
  subject: string | null;
  textBody: string | null;
  htmlBody: string | null;
}

/** A QR code of `text` as inline SVG (no script, no image request). */
export async function qrSvg(text: string, label: string): Promise<string> {
  const svg = await QRCode.toString(text, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
  const esc = label.replace(
    /[&<>"]/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[ch]!,
  );
  return svg.replace(/^<svg /, `<svg class="qr" role="img" aria-label="${esc}" `);
}

function page(
  c: WebContext,
  me: Me,
  csrf: string,
  title: string,
  path: string,
  body: Child,
  notice: Notice | null = doneNotice(c),
  status: 200 | 400 | 401 | 403 | 404 | 409 | 422 | 429 = 200,
) {
  return c.html(
    <Layout title={title} me={me} csrf={csrf} path={path} notice={notice}>{body}</Layout>,
    status,
  );
}

/** Registers the account pages. */
export function register(app: WebApp, deps: WebDeps): void {
  app.get("/account", async (c) => {
    const p = pageOf(c, deps);
    const account = await p.get<AccountView>(`/accounts/${seg(p.me.accountId)}`);
    const endpoints = clientEndpoints(deps.server.config);
    const origin = new URL(c.req.url).origin;
    const profile = `${origin}/apple/mobileconfig?email=${encodeURIComponent(account.address)}`;
    const qr = await qrSvg(profile, "QR code: the mail profile for this device");
    const quota = account.quotaBytes;
    return page(
      c,
      p.me,
      p.csrf,
      "Your account",
      "/account",
      <>
        <section class="card" aria-labelledby="quota-h">
          <h2 id="quota-h">Storage</h2>
          <p>
            <strong>{account.address}</strong> {account.displayName && <span>({account.displayName})</span>}
          </p>
          {quota > 0
            ? (
              <>
                <label for="quota-meter">
                  {bytes(account.usedBytes)} of {bytes(quota)} used
                </label>
                <meter id="quota-meter" min={0} max={quota} value={account.usedBytes} high={quota * 0.9}>
                  {Math.round((account.usedBytes / quota) * 100)}%
                </meter>
              </>
            )
            : <p>{bytes(account.usedBytes)} used (no quota).</p>}
        </section>
        <section class="card" aria-labelledby="setup-h">
          <h2 id="setup-h">Set up a mail client</h2>
          <p>User name: your full address. Password: your account password.</p>
          <Table
            head={["Service", "Server", "Port", "Security"]}
            rows={endpoints.map((e) => [
              e.kind.toUpperCase(),
              e.hostname,
              String(e.port),
              e.security === "tls" ? "TLS" : "STARTTLS",
            ])}
            empty="No client listener is enabled."
          />
          <p>
            <a href={profile}>Download the profile for iPhone, iPad and Mac (.mobileconfig)</a>
          </p>
          <p class="muted">Or scan this code with the phone's camera:</p>
          {raw(qr)}
        </section>
      </>,
    );
  });

  // ---- Password ----
  const passwordPage = (c: WebContext, notice: Notice | null, status: 200 | 400 | 401 | 403 | 429 = 200) => {
    const p = pageOf(c, deps);
    return page(
      c,
      p.me,
      p.csrf,
      "Change password",
      "/account/password",
      <form method="post" action="/account/password" class="card">
        <Csrf token={p.csrf} />
        <Field
          name="current"
          label="Current password"
          type="password"
          required
          autocomplete="current-password"
        />
        <Field
          name="password"
          label="New password"
          type="password"
          required
          autocomplete="new-password"
          hint="At least 8 characters. Every other session is logged out."
        />
        <Field
          name="confirm"
          label="New password again"
          type="password"
          required
          autocomplete="new-password"
        />
        <button type="submit">Change password</button>
      </form>,
      notice ?? doneNotice(c),
      status,
    );
  };
  app.get("/account/password", (c) => passwordPage(c, null));
  app.post("/account/password", async (c) => {
    const p = pageOf(c, deps);
    const current = p.form.current ?? "";
    const next = p.form.password ?? "";
    if (next.length < 8) {
      return passwordPage(c, { kind: "error", text: "The new password is too short." }, 400);
    }
    if (next !== (p.form.confirm ?? "")) {
      return passwordPage(c, { kind: "error", text: "The two new passwords differ." }, 400);
    }
    const userAgent = c.req.header("user-agent");
    const ua = userAgent !== undefined ? { userAgent } : {};
    // The API checks the current password (throttled like a login) and ends every session.
    const r = await p.api("POST", "/auth/password", { currentPassword: current, newPassword: next });
    if (!r.ok) {
      const status = r.status === 429 ? 429 : r.status === 403 ? 403 : 400;
      return passwordPage(c, { kind: "error", text: problemText(r.problem!) }, status);
    }
    // The change ended every session of the account, this one too: log this browser in again.
    const again = await deps.client.raw<{ accessToken: string; refreshToken: string; sessionId: string }>(
      c.env,
      "POST",
      "/auth/login",
      { body: { address: p.me.address, password: next }, ...ua },
    );
    if (!again.ok) return c.redirect("/login?done=password", 303);
    writeLoginCookie(c, again.body);
    return c.redirect("/account/password?done=password", 303);
  });

  // ---- Sessions ----
  app.get("/account/sessions", async (c) => {
    const p = pageOf(c, deps);
    const { items } = await p.get<{ items: SessionView[] }>("/auth/sessions");
    return page(
      c,
      p.me,
      p.csrf,
      "Sessions and devices",
      "/account/sessions",
      <>
        <Table
          head={["Device", "IP address", "Logged in", "Last seen", ""]}
          rows={items.map((s) => [
            <>
              {s.userAgent || "unknown"}
              {s.current && <strong>(this browser)</strong>}
            </>,
            s.ip,
            when(s.created),
            when(s.lastSeen),
            <PostButton
              action={`/account/sessions/${seg(s.id)}/revoke`}
              csrf={p.csrf}
              label="Revoke"
              danger
              title={`Revoke the session of ${s.userAgent || "unknown device"} from ${s.ip}`}
            />,
          ])}
        />
        <PostButton action="/account/sessions/logout-all" csrf={p.csrf} label="Log out everywhere" danger />
      </>,
    );
  });
  app.post("/account/sessions/:id/revoke", async (c) => {
    const p = pageOf(c, deps);
    const r = await p.api("DELETE", `/auth/sessions/${seg(c.req.param("id"))}`);
    if (!r.ok && r.status !== 404) throw new ApiFailure(r.problem!);
    return c.redirect("/account/sessions?done=revoked", 303);
  });
  app.post("/account/sessions/logout-all", async (c) => {
    const p = pageOf(c, deps);
    await p.api("POST", "/auth/logout-all");
    return c.redirect("/login?done=ended", 303);
  });

  // ---- API tokens ----
  const tokensPage = async (
    c: WebContext,
    notice: Notice | null,
    secret?: string,
    status: 200 | 400 = 200,
  ) => {
    const p = pageOf(c, deps);
    const { items } = await p.get<{ items: TokenView[] }>("/tokens?limit=200");
    const mine = items.filter((t) => t.accountId === p.me.accountId);
    return page(
      c,
      p.me,
      p.csrf,
      "API tokens",
      "/account/tokens",
      <>
        {secret && (
          <section class="card" aria-labelledby="secret-h">
            <h2 id="secret-h">Your new token</h2>
            <p>Copy it now: it is not shown again.</p>
            <p class="wrap">
              <code id="new-token">{secret}</code>
            </p>
          </section>
        )}
        <Table
          head={["Name", "Scope", "Created", "Last used", ""]}
          rows={mine.map((t) => [
            t.name,
            t.scope,
            when(t.created),
            when(t.lastUsed),
            <PostButton
              action={`/account/tokens/${seg(t.id)}/revoke`}
              csrf={p.csrf}
              label="Revoke"
              danger
              title={`Revoke token ${t.name}`}
            />,
          ])}
          empty="No tokens."
        />
        <form method="post" action="/account/tokens" class="card">
          <h2>New token</h2>
          <Csrf token={p.csrf} />
          <Field name="name" label="Name" required hint="Which app or device uses it." />
          <Select
            name="scope"
            label="Access"
            options={[["account", "This account"], ["read-only", "Read only"]]}
            value="account"
          />
          <button type="submit">Create token</button>
        </form>
      </>,
      notice ?? doneNotice(c),
      status,
    );
  };
  app.get("/account/tokens", (c) => tokensPage(c, null));
  app.post("/account/tokens", async (c) => {
    const p = pageOf(c, deps);
    const scope = p.form.scope === "read-only" ? "read-only" : "account";
    const r = await p.api<{ token: string }>("POST", "/tokens", { name: field(p.form, "name"), scope });
    if (!r.ok) return await tokensPage(c, { kind: "error", text: problemText(r.problem!) }, undefined, 400);
    // The secret is shown in this response only (never in a URL).
    return await tokensPage(c, { kind: "ok", text: "Token created." }, r.body.token);
  });
  app.post("/account/tokens/:id/revoke", async (c) => {
    const p = pageOf(c, deps);
    const r = await p.api("DELETE", `/tokens/${seg(c.req.param("id"))}`);
    if (!r.ok) return await tokensPage(c, { kind: "error", text: problemText(r.problem!) }, undefined, 400);
    return c.redirect("/account/tokens?done=revoked", 303);
  });

  // ---- Vacation reply ----
  const local = (iso: string | null) => (iso ? iso.slice(0, 16) : "");
  const vacationPage = async (c: WebContext, notice: Notice | null, status: 200 | 400 = 200) => {
    const p = pageOf(c, deps);
    const v = await p.get<VacationView>(`/accounts/${seg(p.me.accountId)}/vacation`);
    return page(
      c,
      p.me,
      p.csrf,
      "Vacation reply",
      "/account/vacation",
      <form method="post" action="/account/vacation" class="card">
        <Csrf token={p.csrf} />
        <Check name="isEnabled" label="Answer incoming mail automatically" checked={v.isEnabled} />
        <Field
          name="subject"
          label="Subject"
          value={v.subject ?? ""}
          hint="Empty: “Auto: ” and the original subject."
        />
        <div>
          <label for="f-textBody">Message</label>
          <textarea id="f-textBody" name="textBody">{v.textBody ?? ""}</textarea>
        </div>
        <Field name="fromDate" label="From (UTC, optional)" type="datetime-local" value={local(v.fromDate)} />
        <Field name="toDate" label="Until (UTC, optional)" type="datetime-local" value={local(v.toDate)} />
        <p class="muted">Each sender gets at most one reply per week.</p>
        <button type="submit">Save</button>
      </form>,
      notice ?? doneNotice(c),
      status,
    );
  };
  app.get("/account/vacation", (c) => vacationPage(c, null));
  app.post("/account/vacation", async (c) => {
    const p = pageOf(c, deps);
    const dateOf = (s: string) => (s === "" ? null : `${s.length === 16 ? `${s}:00` : s}Z`);
    const subject = field(p.form, "subject");
    const text = p.form.textBody ?? "";
    const r = await p.api("PUT", `/accounts/${seg(p.me.accountId)}/vacation`, {
      isEnabled: p.form.isEnabled === "on",
      fromDate: dateOf(field(p.form, "fromDate")),
      toDate: dateOf(field(p.form, "toDate")),
      subject: subject === "" ? null : subject,
      textBody: text.trim() === "" ? null : text,
      htmlBody: null,
    });
    if (!r.ok) return await vacationPage(c, { kind: "error", text: problemText(r.problem!) }, 400);
    return c.redirect("/account/vacation?done=saved", 303);
  });
}
