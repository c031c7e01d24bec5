/**
 * Web UI wire tests without a browser: the real server on 127.0.0.1 port 0, plain HTTP requests.
 * Security properties (CSP, cookie attributes, CSRF, cross-site refusal, logout on revocation)
 * and that pages act through the admin API (audit entries, authorization).
 */
import assert from "node:assert/strict";
import { PASSWORD, startApiServer } from "../api/_server.ts";
import { addOrganization, addPlan } from "../../core/tenancy/operations.ts";
import { WebClient } from "./_web_client.ts";
import { createServer } from "../../mod.ts";
import { testConfig } from "../../core/config/test_config.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { CONTENT_SECURITY_POLICY } from "../../protocols/web/app.tsx";
import { secureCookies, sessionCookieName } from "../../protocols/web/session.ts";

/** Asserts that `text` contains `part`. */
function includes(text: string, part: string): void {
  assert.ok(text.includes(part), `expected ${JSON.stringify(part)} in the page`);
}

const origin = (api: string) => api.replace(/\/api\/v1$/, "");

Deno.test("web: every page carries the strict CSP and no inline script", async () => {
  const t = await startApiServer();
  try {
    const w = new WebClient(origin(t.api));
    const login = await w.request("GET", "/login");
    assert.equal(login.status, 200);
    assert.equal(login.headers.get("content-security-policy"), CONTENT_SECURITY_POLICY);
    assert.match(CONTENT_SECURITY_POLICY, /default-src 'self'/);
    assert.match(CONTENT_SECURITY_POLICY, /script-src 'none'/);
    assert.equal(login.headers.get("x-frame-options"), "DENY");
    assert.equal((await w.login("root@example.org", PASSWORD)).status, 303);
    for (const path of ["/account", "/account/tokens", "/admin", "/admin/domains", "/admin/audit"]) {
      const page = await w.request("GET", path);
      assert.equal(page.status, 200, path);
      assert.equal(page.headers.get("content-security-policy"), CONTENT_SECURITY_POLICY, path);
      assert.ok(!/<script|\sstyle=|\son[a-z]+=/i.test(page.text), `${path} has inline script or style`);
    }
    // The JMAP and API routes keep their own headers (the web middleware is scoped to its paths).
    const health = await fetch(`${origin(t.api)}/health`);
    await health.body?.cancel();
    assert.equal(health.headers.get("content-security-policy"), null);
  } finally {
    await t.close();
  }
});

Deno.test("web: the login cookie is HttpOnly, SameSite=Strict, and Secure except on plain-HTTP loopback", async () => {
  const t = await startApiServer();
  try {
    const w = new WebClient(origin(t.api));
    const page = await w.request("GET", "/login");
    const res = await w.request("POST", "/login", {
      form: { csrf: WebClient.csrfOf(page.text), address: "alice@example.org", password: PASSWORD },
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get("location"), "/account");
    const sc = res.headers.getSetCookie().find((s) => s.startsWith("tern_web="));
    assert.ok(sc, "login cookie set");
    assert.match(sc!, /; HttpOnly/);
    assert.match(sc!, /; SameSite=Strict/);
    assert.match(sc!, /; Path=\//);
    // Plain HTTP from 127.0.0.1: Secure is the one attribute relaxed.
    assert.ok(!/; Secure/.test(sc!));
    const local = { secure: false, remoteAddress: "127.0.0.1", host: "127.0.0.1:8080" };
    assert.ok(!secureCookies(local));
    assert.ok(!secureCookies({ secure: false, remoteAddress: "::1", host: "[::1]:8080" }));
    assert.ok(!secureCookies({ secure: false, remoteAddress: "::ffff:127.0.0.1", host: "localhost" }));
    assert.ok(secureCookies({ ...local, remoteAddress: "192.0.2.7" }));
    assert.ok(secureCookies({ ...local, secure: true }));
    // A same-host reverse proxy forwarding a public name: Secure.
    assert.ok(secureCookies({ ...local, host: "mail.example.com" }));
    assert.ok(secureCookies({ secure: false, remoteAddress: "127.0.0.1" }));
    assert.equal(sessionCookieName({ ...local, secure: true }), "__Host-tern_web");
  } finally {
    await t.close();
  }
});

Deno.test("web: a wrong password is refused through the API's login (401, audited) and sets no login cookie", async () => {
  const t = await startApiServer();
  try {
    const w = new WebClient(origin(t.api));
    const res = await w.login("alice@example.org", "wrong-password");
    assert.equal(res.status, 401);
    includes(res.text, "Invalid credentials.");
    assert.ok(!w.cookies.has("tern_web"));
    const root = new WebClient(origin(t.api));
    await root.login("root@example.org", PASSWORD);
    const audit = await root.request("GET", "/admin/audit?kind=security");
    includes(audit.text, "alice@example.org");
  } finally {
    await t.close();
  }
});

Deno.test("web: a form post without the session's CSRF token is refused and changes nothing", async () => {
  const t = await startApiServer();
  try {
    const w = new WebClient(origin(t.api));
    await w.login("alice@example.org", PASSWORD);
    const create = (csrf: string | undefined) =>
      w.request("POST", "/account/tokens", {
        form: { ...(csrf !== undefined ? { csrf } : {}), name: "evil" },
      });
    assert.equal((await create(undefined)).status, 403);
    assert.equal((await create("AAAA")).status, 403);
    // Another session's token does not fit this one.
    const other = new WebClient(origin(t.api));
    await other.login("bob@example.org", PASSWORD);
    const otherToken = WebClient.csrfOf((await other.request("GET", "/account")).text);
    assert.equal((await create(otherToken)).status, 403);
    let page = await w.request("GET", "/account/tokens");
    assert.ok(!page.text.includes("evil"));
    // With this session's token it works.
    const ok = await create(WebClient.csrfOf(page.text));
    assert.equal(ok.status, 200);
    assert.match(ok.text, /<code id="new-token">tern_/);
    page = await w.request("GET", "/account/tokens");
    includes(page.text, "evil");
  } finally {
    await t.close();
  }
});

Deno.test("web: a cross-site form post is refused even with a valid token (Origin / Sec-Fetch-Site)", async () => {
  const t = await startApiServer();
  try {
    const w = new WebClient(origin(t.api));
    await w.login("alice@example.org", PASSWORD);
    const csrf = WebClient.csrfOf((await w.request("GET", "/account/tokens")).text);
    const evil = await w.request("POST", "/account/tokens", {
      form: { csrf, name: "evil" },
      headers: { origin: "https://attacker.example" },
    });
    assert.equal(evil.status, 403);
    includes(evil.text, "Cross-site");
    const fetchMeta = await w.request("POST", "/account/tokens", {
      form: { csrf, name: "evil" },
      headers: { "sec-fetch-site": "cross-site" },
    });
    assert.equal(fetchMeta.status, 403);
    // The login form is protected too (double-submit token).
    const anon = new WebClient(origin(t.api));
    const res = await anon.request("POST", "/login", {
      form: { address: "alice@example.org", password: PASSWORD },
    });
    assert.equal(res.status, 403);
    assert.ok(!anon.cookies.has("tern_web"));
  } finally {
    await t.close();
  }
});

Deno.test("web: revoking the login session (API) logs the browser out at its next request", async () => {
  const t = await startApiServer();
  try {
    const w = new WebClient(origin(t.api));
    await w.login("alice@example.org", PASSWORD);
    assert.equal((await w.request("GET", "/account")).status, 200);
    const root = new WebClient(origin(t.api));
    await root.login("root@example.org", PASSWORD);
    const sessions = await root.request("GET", "/admin/sessions");
    const csrf = WebClient.csrfOf(sessions.text);
    const revoke = await root.request("POST", "/admin/sessions/revoke", {
      form: { csrf, accountId: t.accounts["alice@example.org"]!.id },
    });
    assert.equal(revoke.status, 303);
    const after = await w.request("GET", "/account");
    assert.equal(after.status, 303);
    assert.equal(after.headers.get("location"), "/login?done=ended");
    assert.ok(!w.cookies.has("tern_web"));
  } finally {
    await t.close();
  }
});

Deno.test("web: a member gets no admin area, and the API's matrix hides other accounts", async () => {
  const t = await startApiServer();
  try {
    const w = new WebClient(origin(t.api));
    await w.login("alice@example.org", PASSWORD);
    const admin = await w.request("GET", "/admin/accounts");
    assert.equal(admin.status, 404);
    const account = await w.request("GET", "/account");
    assert.ok(!account.text.includes('href="/admin"'));
    includes(account.text, "alice@example.org");
  } finally {
    await t.close();
  }
});

Deno.test("web: a Sieve script that does not compile is refused with its line and column, the text kept; the rule form writes an active script", async () => {
  const t = await startApiServer();
  try {
    const alice = t.accounts["alice@example.org"]!;
    const store = t.srv.context.store;
    const w = new WebClient(origin(t.api));
    await w.login("alice@example.org", PASSWORD);
    const csrf = WebClient.csrfOf((await w.request("GET", "/account/filters")).text);
    const broken = 'require "fileinto";\nif true {\n  fileinto "A"\n}\n';
    const refused = await w.request("POST", "/account/filters", {
      form: { csrf, name: "main", content: broken, active: "on" },
    });
    assert.equal(refused.status, 400);
    assert.match(refused.text, /line 4, column 1: /);
    includes(refused.text, "fileinto &quot;A&quot;");
    assert.equal(await store.sieveScripts.get(alice.id, "main"), null);
    const rule = await w.request("POST", "/account/filters/rule", {
      form: { csrf, header: "subject", contains: 'Sale "now"', folder: "Promotions" },
    });
    assert.equal(rule.status, 303);
    const active = await store.sieveScripts.active(alice.id);
    assert.equal(active?.name, "rule-subject-sale-now-");
    assert.equal(
      active?.content,
      'require "fileinto";\nif header :contains "subject" "Sale \\"now\\"" {\n  fileinto "Promotions";\n}\n',
    );
  } finally {
    await t.close();
  }
});

Deno.test("web: the domain page checks its DNS records live on request (static DNS in the test)", async () => {
  const t = await startApiServer(undefined, {
    queue: { static_dns: [{ name: "example.org", type: "MX", value: "10 mx.test." }] },
  });
  try {
    const w = new WebClient(origin(t.api));
    await w.login("root@example.org", PASSWORD);
    const plain = await w.request("GET", "/admin/domains/example.org");
    assert.equal(plain.status, 200);
    assert.ok(!plain.text.includes("Published"), "no live check unless asked");
    const checked = await w.request("GET", "/admin/domains/example.org?check=1");
    assert.equal(checked.status, 200);
    includes(checked.text, "Some required records are missing or wrong.");
    assert.match(
      checked.text,
      /<td>example\.org<\/td><td>MX<\/td>(?:(?!<\/tr>).)*<span class="status-ok">ok/s,
    );
    assert.match(
      checked.text,
      /<td>_dmarc\.example\.org<\/td>(?:(?!<\/tr>).)*<span class="status-missing">missing/s,
    );
  } finally {
    await t.close();
  }
});

Deno.test("web: an administrator creates a webhook (its secret shown once), sees it listed, and deletes it", async () => {
  const t = await startApiServer();
  try {
    const w = new WebClient(origin(t.api));
    await w.login("root@example.org", PASSWORD);
    const csrf = WebClient.csrfOf((await w.request("GET", "/admin/webhooks")).text);
    const created = await w.request("POST", "/admin/webhooks", {
      form: {
        csrf,
        url: "https://hooks.example.com/tern",
        scope: "domain:example.org",
        "event.message.received": "on",
      },
    });
    assert.equal(created.status, 200, created.text);
    assert.match(created.text, /Signing secret \(shown once\): whsec_/);
    const hooks = await t.srv.context.store.webhooks.list();
    assert.equal(hooks.length, 1);
    assert.deepEqual(hooks[0]!.events, ["message.received"]);
    const page = await w.request("GET", "/admin/webhooks");
    includes(page.text, "https://hooks.example.com/tern");
    const log = await w.request("GET", `/admin/webhooks/${hooks[0]!.id}`);
    assert.equal(log.status, 200);
    includes(log.text, "No deliveries yet.");
    const del = await w.request("POST", `/admin/webhooks/${hooks[0]!.id}/delete`, { form: { csrf } });
    assert.equal(del.status, 303);
    assert.equal((await t.srv.context.store.webhooks.list()).length, 0);
  } finally {
    await t.close();
  }
});

Deno.test("web: an expired access token is refreshed once for concurrent requests; the session goes on and the cookie rotates", async () => {
  let now = Date.now();
  const clock = { now: () => new Date(now) };
  const dir = await Deno.makeTempDir({ prefix: "tern-web-" });
  const srv = await createServer(
    testConfig(dir, { hostname: "mx.test", local_domains: ["example.org"] }),
    undefined,
    {
      logger: nullLogger,
      clock,
    },
  );
  try {
    await srv.context.store.createAccount({
      address: "alice@example.org",
      secrets: await srv.context.auth.deriveSecrets(PASSWORD),
    });
    await srv.start();
    const w = new WebClient(`http://127.0.0.1:${srv.addresses.http!.port}`);
    assert.equal((await w.login("alice@example.org", PASSWORD)).status, 303);
    const before = w.cookies.get("tern_web");
    now += 16 * 60 * 1000; // past the 15-minute access token
    // Two requests with the same (stale) cookie at once: one refresh, both answered.
    const [a, b] = await Promise.all([w.request("GET", "/account"), w.request("GET", "/account/sessions")]);
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    const after = w.cookies.get("tern_web");
    assert.ok(after && after !== before, "the cookie carries the new tokens");
    // A rotated refresh token used twice would have revoked the session; it is still active.
    const again = await w.request("GET", "/account");
    assert.equal(again.status, 200);
    const sessions = await srv.context.store.apiSessions.list({
      accountId: (await srv.context.store.getAccountByAddress("alice@example.org"))!.id,
    });
    assert.equal(sessions.filter((s) => s.revokedAt === null).length, 1);
  } finally {
    await srv.stop({ graceSeconds: 0 });
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("web: the login form is throttled by the server's authenticator (429 after the lockout threshold, even with the right password)", async () => {
  const t = await startApiServer(undefined, { auth: { throttle_free_failures: 1, lockout_failures: 2 } });
  try {
    const w = new WebClient(origin(t.api));
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await w.login("alice@example.org", "wrong-password")).status);
    assert.equal(statuses[0], 401);
    assert.equal(statuses.at(-1), 429);
    const locked = await w.login("alice@example.org", PASSWORD);
    assert.equal(locked.status, 429);
    includes(locked.text, "Too many failed attempts");
    assert.ok(!w.cookies.has("tern_web"));
  } finally {
    await t.close();
  }
});

Deno.test("web: a long list pages through the API's cursor (Next page link), every item reachable", async () => {
  const t = await startApiServer();
  try {
    for (let i = 0; i < 205; i++) {
      await t.srv.context.store.addAlias(`list${String(i).padStart(3, "0")}@example.org`, [
        "alice@example.org",
      ]);
    }
    const w = new WebClient(origin(t.api));
    await w.login("root@example.org", PASSWORD);
    const seen = new Set<string>();
    let path: string | null = "/admin/aliases";
    let pages = 0;
    while (path !== null && pages < 5) {
      const page = await w.request("GET", path);
      assert.equal(page.status, 200);
      for (const m of page.text.matchAll(/<td>(list\d{3}@example\.org)<\/td>/g)) seen.add(m[1]!);
      const next = page.text.match(/<a href="(\/admin\/aliases\?cursor=[^"]+)">Next page<\/a>/);
      path = next ? next[1]!.replaceAll("&amp;", "&") : null;
      pages++;
    }
    assert.equal(pages, 2);
    assert.equal(seen.size, 205);
  } finally {
    await t.close();
  }
});

Deno.test("web: an organization's page changes its plan and gives a role; the new administrator gets the admin area", async () => {
  const t = await startApiServer();
  try {
    const root = new WebClient(origin(t.api));
    await root.login("root@example.org", PASSWORD);
    let csrf = WebClient.csrfOf((await root.request("GET", "/admin/plans")).text);
    assert.equal(
      (await root.request("POST", "/admin/plans", { form: { csrf, id: "gold", name: "Gold" } })).status,
      303,
    );
    const page = await root.request("GET", "/admin/organizations/default");
    assert.equal(page.status, 200);
    csrf = WebClient.csrfOf(page.text);
    const plan = await root.request("POST", "/admin/organizations/default/plan", {
      form: { csrf, plan: "gold" },
    });
    assert.equal(plan.status, 303);
    assert.equal((await t.srv.context.store.organizations.get("default"))?.planId, "gold");
    const alice = new WebClient(origin(t.api));
    await alice.login("alice@example.org", PASSWORD);
    assert.equal((await alice.request("GET", "/admin")).status, 404);
    const role = await root.request("POST", "/admin/organizations/default/role", {
      form: { csrf, address: "alice@example.org", role: "admin" },
    });
    assert.equal(role.status, 303);
    includes(
      (await root.request("GET", "/admin/organizations/default")).text,
      "<td>alice@example.org</td><td>admin</td>",
    );
    const admin = await alice.request("GET", "/admin/accounts");
    assert.equal(admin.status, 200);
    includes(admin.text, "bob@example.org");
  } finally {
    await t.close();
  }
});

Deno.test("web: an administrator sets an account's quota and password (its sessions end) and deletes it", async () => {
  const t = await startApiServer();
  try {
    const bobId = t.accounts["bob@example.org"]!.id;
    const bob = new WebClient(origin(t.api));
    await bob.login("bob@example.org", PASSWORD);
    const root = new WebClient(origin(t.api));
    await root.login("root@example.org", PASSWORD);
    const page = await root.request("GET", `/admin/accounts/${bobId}`);
    assert.equal(page.status, 200);
    const csrf = WebClient.csrfOf(page.text);
    const saved = await root.request("POST", `/admin/accounts/${bobId}/update`, {
      form: { csrf, displayName: "Bob B.", quotaMiB: "5", password: "bob-new-pass-1" },
    });
    assert.equal(saved.status, 303);
    const account = await t.srv.context.store.getAccount(bobId);
    assert.equal(account?.quotaBytes, 5 * 1048576);
    assert.equal(account?.displayName, "Bob B.");
    assert.equal((await bob.request("GET", "/account")).status, 303, "bob's session ended");
    assert.equal((await new WebClient(origin(t.api)).login("bob@example.org", "bob-new-pass-1")).status, 303);
    const del = await root.request("POST", `/admin/accounts/${bobId}/delete`, { form: { csrf } });
    assert.equal(del.status, 303);
    assert.equal(await t.srv.context.store.getAccount(bobId), null);
  } finally {
    await t.close();
  }
});

Deno.test("web: an organization whose plan has no API access (or no calls left) still uses the web pages; its API tokens are refused", async () => {
  const t = await startApiServer(["root@example.org", "carol@closed.test", "dave@metered.test"]);
  try {
    const store = t.srv.context.store;
    await addPlan(store, { id: "noapi", features: { api_access: false } });
    await addPlan(store, { id: "metered", limits: { apiCallsPerMonth: 0 } });
    await addOrganization(store, { id: "closed", plan: "noapi", domains: ["closed.test"] });
    await addOrganization(store, { id: "metered", plan: "metered", domains: ["metered.test"] });
    for (const address of ["carol@closed.test", "dave@metered.test"]) {
      const w = new WebClient(origin(t.api));
      await w.login(address, PASSWORD);
      const page = await w.request("GET", "/account");
      assert.equal(page.status, 200, address);
      includes(page.text, address);
      // The same person's program, with an access token of its own, is held to the plan.
      const login = await fetch(`${t.api}/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ address, password: PASSWORD }),
      });
      const { accessToken } = await login.json();
      const api = await fetch(`${t.api}/auth/me`, { headers: { authorization: `Bearer ${accessToken}` } });
      await api.body?.cancel();
      assert.equal(api.status, address.startsWith("carol") ? 403 : 429, address);
    }
  } finally {
    await t.close();
  }
});
