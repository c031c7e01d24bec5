/**
 * Cases registered by tests/api/api_test.ts. Health through the real server: the liveness
 * `GET /health`, the detailed report with every component (healthy; a broken blob volume is down
 * and answers 503; a certificate inside its warning window is degraded), the `[metrics] token`
 * guard, and the admin API's report and history.
 */
import assert from "node:assert/strict";
import { type ApiTestServer, login, startApiServer } from "./_server.ts";

const TOKEN = "health-token-0123456789abcdefghijklmnopq";

interface Report {
  status: string;
  checkedAt: string;
  components: { name: string; status: string; responseMs: number; detail: string }[];
}

function base(t: ApiTestServer): string {
  const { hostname, port } = t.srv.addresses.http;
  return `http://${hostname}:${port}`;
}

function statuses(r: Report): Record<string, string> {
  return Object.fromEntries(r.components.map((c) => [c.name, c.status]));
}

Deno.test("health: /health is a liveness probe; /health/detailed reports every component healthy", async () => {
  const t = await startApiServer();
  try {
    const live = await fetch(`${base(t)}/health`);
    assert.equal(live.status, 200);
    assert.deepEqual(await live.json(), { status: "ok" });
    const res = await fetch(`${base(t)}/health/detailed`);
    assert.equal(res.status, 200);
    const report: Report = await res.json();
    assert.deepEqual(statuses(report), {
      store: "healthy",
      blobs: "healthy",
      queue: "healthy",
      disk: "healthy",
      certificates: "healthy",
      dns: "healthy",
    });
    assert.equal(report.status, "healthy");
    assert.ok(report.components.every((c) => c.responseMs >= 0 && c.detail.length > 0));
    assert.match(report.components.find((c) => c.name === "queue")!.detail, /^0 message\(s\)/);
  } finally {
    await t.close();
  }
});

Deno.test("health: a broken blob volume is down and the detailed report answers 503", async () => {
  const t = await startApiServer();
  try {
    // The blob directory replaced by a plain file: nothing can be written there any more.
    await Deno.remove(`${t.dir}/blobs`, { recursive: true }).catch(() => {});
    await Deno.writeTextFile(`${t.dir}/blobs`, "not a directory");
    const res = await fetch(`${base(t)}/health/detailed`);
    assert.equal(res.status, 503);
    const report: Report = await res.json();
    assert.equal(report.status, "down");
    assert.equal(statuses(report).blobs, "down");
    assert.equal(statuses(report).store, "healthy");
  } finally {
    await t.close();
  }
});

Deno.test("health: a certificate inside the warning window is degraded, the server still answers 200", async () => {
  // The self-signed certificate is valid for a year; warn ten years ahead.
  const t = await startApiServer(undefined, { health: { cert_warn_days: 3650 } });
  try {
    const res = await fetch(`${base(t)}/health/detailed`);
    assert.equal(res.status, 200);
    const report: Report = await res.json();
    assert.equal(report.status, "degraded");
    assert.equal(statuses(report).certificates, "degraded");
    assert.match(report.components.find((c) => c.name === "certificates")!.detail, /expires \d{4}-/);
  } finally {
    await t.close();
  }
});

Deno.test("health: with [metrics] token set, /health/detailed needs it; /health does not", async () => {
  const t = await startApiServer(undefined, { metrics: { token: TOKEN } });
  try {
    const refused = await fetch(`${base(t)}/health/detailed`);
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get("www-authenticate") ?? "", /^Bearer /);
    await refused.body?.cancel();
    const ok = await fetch(`${base(t)}/health/detailed`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    const live = await fetch(`${base(t)}/health`);
    assert.equal(live.status, 200);
    await live.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("health: the admin API gives platform admins the report and the kept history, newest first", async () => {
  const t = await startApiServer();
  try {
    const root = (await login(t, "root@example.org")).accessToken;
    const alice = (await login(t, "alice@example.org")).accessToken;
    const now = await t.call("GET", "/admin/health", { token: root });
    assert.equal(now.status, 200);
    assert.equal(((await now.json()) as Report).components.length, 6);
    assert.equal((await t.call("GET", "/admin/health", { token: alice })).status, 403);
    assert.equal((await t.call("GET", "/admin/health/history", { token: alice })).status, 403);
    assert.equal((await t.call("GET", "/admin/health/history")).status, 401);

    // What the periodic timer does, twice.
    const monitor = t.srv.context.health!;
    const first = await monitor.record();
    const second = await monitor.record();
    const res = await t.call("GET", "/admin/health/history", { token: root });
    assert.equal(res.status, 200);
    const { items } = (await res.json()) as { items: Report[] };
    assert.deepEqual(items.map((r) => r.checkedAt), [
      second.checkedAt.toISOString(),
      first.checkedAt.toISOString(),
    ]);
    assert.deepEqual(items[0]!.components.map((c) => c.name), [
      "store",
      "blobs",
      "queue",
      "disk",
      "certificates",
      "dns",
    ]);
    const one = await (await t.call("GET", "/admin/health/history?limit=1", { token: root })).json();
    assert.equal(one.items.length, 1);
    const since = encodeURIComponent(new Date(second.checkedAt.getTime() + 1).toISOString());
    const none = await (await t.call("GET", `/admin/health/history?since=${since}`, { token: root })).json();
    assert.deepEqual(none.items, []);
    const bad = await t.call("GET", "/admin/health/history?since=yesterday", { token: root });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers.get("content-type"), "application/problem+json");
  } finally {
    await t.close();
  }
});
