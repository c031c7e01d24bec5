import assert from "node:assert/strict";
import { ServerMetrics } from "./registry.ts";
import { metricsAuthorized } from "./token.ts";

Deno.test("ServerMetrics: verbs outside the command grammar and odd reasons share one bounded label", async () => {
  const m = new ServerMetrics();
  m.command("smtp", "mail", "ok");
  m.command("smtp", "X".repeat(100), "permfail");
  m.command("imap", "bob@example.org", "bad");
  m.authFailure("imap", "invalid");
  m.authFailure("imap", "Bob's password was hunter2");
  const text = await m.render();
  assert.match(text, /^tern_commands_total\{protocol="smtp",command="MAIL",result="ok"\} 1$/m);
  assert.match(text, /^tern_commands_total\{protocol="smtp",command="OTHER",result="permfail"\} 1$/m);
  assert.match(text, /^tern_commands_total\{protocol="imap",command="OTHER",result="bad"\} 1$/m);
  assert.match(text, /^tern_auth_failures_total\{protocol="imap",reason="other"\} 1$/m);
  assert.doesNotMatch(text, /bob@example\.org|hunter2/);
});

Deno.test("ServerMetrics: sessions go up and down through the connection hooks; deliveries add up", async () => {
  const m = new ServerMetrics();
  const hooks = m.hooks();
  const session = { protocol: "imap" } as Parameters<NonNullable<typeof hooks.onConnect>>[0];
  assert.deepEqual(await hooks.onConnect!(session), { allow: true });
  await hooks.onConnect!(session);
  await hooks.onClose!(session);
  m.localDeliveries(3);
  m.localDeliveries(0);
  const text = await m.render();
  assert.match(text, /^tern_connections_total\{protocol="imap"\} 2$/m);
  assert.match(text, /^tern_sessions_active\{protocol="imap"\} 1$/m);
  assert.match(text, /^tern_deliveries_total\{route="local",result="delivered"\} 3$/m);
  assert.deepEqual(m.deliveryTotals(), {
    localDelivered: 3,
    remoteDelivered: 0,
    remoteDeferred: 0,
    remoteFailed: 0,
  });
});

Deno.test("metricsAuthorized: open without a token; with one, only the exact bearer credential", () => {
  const token = "t".repeat(32);
  assert.equal(metricsAuthorized(undefined, null), true);
  assert.equal(metricsAuthorized(token, null), false);
  assert.equal(metricsAuthorized(token, `Bearer ${token}`), true);
  assert.equal(metricsAuthorized(token, `bEaReR ${token}`), true);
  assert.equal(metricsAuthorized(token, `Bearer ${token}x`), false);
  assert.equal(metricsAuthorized(token, `Basic ${token}`), false);
  assert.equal(metricsAuthorized(token, `Bearer ${token.slice(1)}`), false);
});
