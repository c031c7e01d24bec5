/**
 * Cases registered by tests/api/api_test.ts. Admin-API authentication through the real server: login, refresh rotation, refresh-token reuse
 * detection (the family is revoked and a security event recorded), the device rule, logout,
 * sessions, API tokens with scopes, problem details and request ids.
 */
import assert from "node:assert/strict";
import { login, PASSWORD, startApiServer } from "./_server.ts";
import { createToken } from "../../core/jmap/tokens.ts";
import { ApiTokens } from "../../core/jmap/tokens.ts";
import { signTrusted, TrustedHeader } from "../../core/jmap/trusted.ts";

Deno.test("api auth: login answers an access and a refresh token; the access token authenticates /auth/me", async () => {
  const t = await startApiServer();
  try {
    const tokens = await login(t, "alice@example.org");
    assert.match(tokens.accessToken, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.match(tokens.refreshToken, /^ternr_/);
    const me = await t.call("GET", "/auth/me", { token: tokens.accessToken });
    assert.equal(me.status, 200);
    assert.deepEqual(await me.json(), {
      accountId: t.accounts["alice@example.org"]!.id,
      address: "alice@example.org",
      orgId: "default",
      role: "member",
      scope: "account",
      via: "session",
    });
  } finally {
    await t.close();
  }
});

Deno.test("api auth: a wrong password is a 401 problem+json and is recorded as a security event", async () => {
  const t = await startApiServer();
  try {
    const res = await t.call("POST", "/auth/login", {
      json: { address: "alice@example.org", password: "nope" },
    });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get("content-type"), "application/problem+json");
    const body = await res.json();
    assert.equal(body.status, 401);
    assert.equal(body.title, "Unauthorized");
    assert.equal(body.requestId, res.headers.get("x-request-id"));
    const events = await t.srv.context.store.audit.list({ kind: "security", limit: 10 });
    assert.equal(events[0]!.action, "auth.login.invalid");
    assert.equal(events[0]!.target, "alice@example.org");
  } finally {
    await t.close();
  }
});

Deno.test("api auth: a refresh rotates the token; presenting the old one again revokes the whole session", async () => {
  const t = await startApiServer();
  try {
    const first = await login(t, "alice@example.org");
    const r1 = await t.call("POST", "/auth/refresh", { json: { refreshToken: first.refreshToken } });
    assert.equal(r1.status, 200);
    const second = await r1.json();
    assert.notEqual(second.refreshToken, first.refreshToken);
    assert.equal(second.sessionId, first.sessionId);
    assert.equal((await t.call("GET", "/auth/me", { token: second.accessToken })).status, 200);

    // The rotated token again: reuse. The session (family) ends: the newest tokens stop working too.
    const reuse = await t.call("POST", "/auth/refresh", { json: { refreshToken: first.refreshToken } });
    assert.equal(reuse.status, 401);
    assert.match((await reuse.json()).detail, /already used/);
    const after = await t.call("POST", "/auth/refresh", { json: { refreshToken: second.refreshToken } });
    assert.equal(after.status, 401);
    await after.body?.cancel();
    const me = await t.call("GET", "/auth/me", { token: second.accessToken });
    assert.equal(me.status, 401);
    await me.body?.cancel();
    const events = await t.srv.context.store.audit.list({ actionPrefix: "session.refresh_reuse", limit: 10 });
    assert.equal(events.length, 1);
    assert.equal(events[0]!.target, first.sessionId);
    // The account's owner is told (core/notify: a message in the Inbox).
    const store = t.srv.context.store;
    const alice = t.accounts["alice@example.org"]!;
    const ids = await store.queryMessages(alice.id, {});
    const subjects = (await store.getMessages(alice.id, ids)).map((m) => m.summary.subject);
    assert.deepEqual(subjects, ["A session of your account was signed out"]);
  } finally {
    await t.close();
  }
});

Deno.test("api auth: a refresh from another device needs a new login, and a first login from a device is notified", async () => {
  const t = await startApiServer();
  try {
    const ua = { "user-agent": "TernTest/1 (laptop)" };
    const a = await login(t, "alice@example.org", ua);
    // Same device (same User-Agent): fine, whatever the network.
    const ok = await t.call("POST", "/auth/refresh", { json: { refreshToken: a.refreshToken }, headers: ua });
    assert.equal(ok.status, 200);
    const next = await ok.json();
    const other = await t.call("POST", "/auth/refresh", {
      json: { refreshToken: next.refreshToken },
      headers: { "user-agent": "Other/2 (phone)" },
    });
    assert.equal(other.status, 401);
    assert.match((await other.json()).detail, /another device/);
    const me = await t.call("GET", "/auth/me", { token: next.accessToken });
    assert.equal(me.status, 401);
    await me.body?.cancel();
    // That device logs in itself; a first login from it is a "new sign-in" the owner is told about,
    // a second one from the laptop is not.
    await login(t, "alice@example.org", { "user-agent": "Other/2 (phone)" });
    await login(t, "alice@example.org", ua);
    const store = t.srv.context.store;
    const alice = t.accounts["alice@example.org"]!;
    const subjects = (await store.getMessages(alice.id, await store.queryMessages(alice.id, {})))
      .map((m) => m.summary.subject);
    assert.deepEqual(subjects, ["New sign-in to your account"]);
  } finally {
    await t.close();
  }
});

Deno.test("api auth: logout ends the session; logout-all ends every session of the account; sessions lists the active ones", async () => {
  const t = await startApiServer();
  try {
    const a = await login(t, "alice@example.org");
    const b = await login(t, "alice@example.org");
    const c = await login(t, "alice@example.org");
    const list = await t.call("GET", "/auth/sessions", { token: a.accessToken });
    assert.equal(list.status, 200);
    const items = (await list.json()).items as { id: string; current: boolean }[];
    assert.deepEqual(items.map((s) => s.id).sort(), [a.sessionId, b.sessionId, c.sessionId].sort());
    assert.equal(items.find((s) => s.current)?.id, a.sessionId);

    const out = await t.call("POST", "/auth/logout", { token: a.accessToken });
    assert.equal(out.status, 204);
    const gone = await t.call("GET", "/auth/me", { token: a.accessToken });
    assert.equal(gone.status, 401);
    assert.equal(gone.headers.get("www-authenticate"), 'Bearer realm="Tern"');
    await gone.body?.cancel();
    const refresh = await t.call("POST", "/auth/refresh", { json: { refreshToken: a.refreshToken } });
    assert.equal(refresh.status, 401);
    await refresh.body?.cancel();

    const del = await t.call("DELETE", `/auth/sessions/${b.sessionId}`, { token: c.accessToken });
    assert.equal(del.status, 204);
    assert.equal((await t.call("GET", "/auth/me", { token: b.accessToken })).status, 401);

    const all = await t.call("POST", "/auth/logout-all", { token: c.accessToken });
    assert.equal(all.status, 200);
    assert.deepEqual(await all.json(), { revoked: 1 });
    const none = await t.call("GET", "/auth/me", { token: c.accessToken });
    assert.equal(none.status, 401);
    await none.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("api auth: another account's session is 404 (not 403): its existence does not leak", async () => {
  const t = await startApiServer();
  try {
    const alice = await login(t, "alice@example.org");
    const bob = await login(t, "bob@example.org");
    const res = await t.call("DELETE", `/auth/sessions/${bob.sessionId}`, { token: alice.accessToken });
    assert.equal(res.status, 404);
    const unknown = await t.call("DELETE", `/auth/sessions/${crypto.randomUUID()}`, {
      token: alice.accessToken,
    });
    assert.equal(unknown.status, 404);
    assert.equal((await res.json()).detail, (await unknown.json()).detail);
    assert.equal((await t.call("GET", "/auth/me", { token: bob.accessToken })).status, 200);
  } finally {
    await t.close();
  }
});

Deno.test("api auth: an API token (tern token) works as Bearer with its scope; a revoked one is refused", async () => {
  const t = await startApiServer();
  try {
    const { token, id } = await createToken(t.srv.context.store, "alice@example.org", "ci");
    const me = await t.call("GET", "/auth/me", { token });
    assert.equal(me.status, 200);
    const body = await me.json();
    assert.equal(body.via, "token");
    assert.equal(body.scope, "account");
    const ro = await new ApiTokens(t.srv.context.store.tokens).create(
      t.accounts["alice@example.org"]!.id,
      "ro",
      "read-only",
    );
    assert.equal((await (await t.call("GET", "/auth/me", { token: ro.token })).json()).scope, "read-only");
    // A read-only credential may not change anything, even its own sessions.
    const forbidden = await t.call("POST", "/auth/logout-all", { token: ro.token });
    assert.equal(forbidden.status, 403);
    await forbidden.body?.cancel();
    await t.srv.context.store.tokens.revoke(id);
    const revoked = await t.call("GET", "/auth/me", { token });
    assert.equal(revoked.status, 401);
    await revoked.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("api: a malformed body is a 400 problem listing the offending fields; the request id is echoed", async () => {
  const t = await startApiServer();
  try {
    const res = await t.call("POST", "/auth/login", {
      json: { address: "" },
      headers: { "x-request-id": "req-42" },
    });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get("x-request-id"), "req-42");
    const body = await res.json();
    assert.equal(body.type, "tag:tern.email,2026:problem/validation");
    assert.deepEqual(body.errors.map((e: { pointer: string }) => e.pointer).sort(), [
      "json.address",
      "json.password",
    ]);
    assert.equal(PASSWORD.length > 0, true);
  } finally {
    await t.close();
  }
});

Deno.test("api auth: a trusted front end (HMAC-signed headers) acts for a user; a bad signature or a replay is refused", async () => {
  const secret = "a-shared-secret-of-at-least-32-characters";
  const t = await startApiServer(undefined, {
    api: { platform_admins: [] },
    jmap: { trusted_services: [{ name: "webmail", hmac_secret: secret }] },
  });
  try {
    const signed = (requestId: string, user = "alice@example.org", key = secret) => {
      const fields = { user, tenant: "", session: "s1", requestId, timestamp: Math.floor(Date.now() / 1000) };
      return {
        [TrustedHeader.service]: "webmail",
        [TrustedHeader.user]: user,
        [TrustedHeader.session]: "s1",
        [TrustedHeader.requestId]: requestId,
        [TrustedHeader.timestamp]: String(fields.timestamp),
        [TrustedHeader.signature]: signTrusted(key, fields),
      };
    };
    const ok = await t.call("GET", "/auth/me", { headers: signed("r1") });
    assert.equal(ok.status, 200);
    const me = await ok.json();
    assert.deepEqual([me.address, me.via], ["alice@example.org", "trusted"]);
    const replay = await t.call("GET", "/auth/me", { headers: signed("r1") });
    assert.equal(replay.status, 401);
    await replay.body?.cancel();
    const forged = await t.call("GET", "/auth/me", {
      headers: signed("r2", "alice@example.org", "x".repeat(40)),
    });
    assert.equal(forged.status, 401);
    await forged.body?.cancel();
  } finally {
    await t.close();
  }
});
