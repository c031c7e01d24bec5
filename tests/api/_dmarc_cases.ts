/**
 * Cases registered by tests/api/api_test.ts. `GET /api/v1/admin/dmarc/reports` through the real
 * server: received DMARC aggregate reports, newest first, for platform administrators only.
 */
import assert from "node:assert/strict";
import { login, startApiServer } from "./_server.ts";

Deno.test("api dmarc: received aggregate reports newest first; platform admins only; limit checked", async () => {
  const t = await startApiServer();
  try {
    const base = {
      orgName: "receiver.example",
      domain: "example.org",
      begin: new Date(Date.UTC(2026, 11, 5)),
      end: new Date(Date.UTC(2026, 11, 6) - 1000),
      messages: 3,
      passed: 2,
      rows: [{
        sourceIp: "192.0.2.25",
        headerFrom: "example.org",
        disposition: "none" as const,
        dkim: "pass" as const,
        spf: "fail" as const,
        envelopeFrom: "example.org",
        dkimResults: [{ domain: "example.org", selector: "tern", result: "pass" }],
        spfResult: { domain: "example.org", scope: "mfrom" as const, result: "fail" },
        count: 3,
      }],
    };
    const store = t.srv.context.store;
    await store.dmarc.putReport({ ...base, reportId: "a", received: new Date(Date.UTC(2026, 11, 6, 1)) });
    await store.dmarc.putReport({ ...base, reportId: "b", received: new Date(Date.UTC(2026, 11, 6, 2)) });

    const root = (await login(t, "root@example.org")).accessToken;
    const res = await t.call("GET", "/admin/dmarc/reports", { token: root });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.deepEqual(body.items.map((r: { reportId: string }) => r.reportId), ["b", "a"]);
    assert.equal(body.items[0].begin, "2026-12-05T00:00:00.000Z");
    assert.deepEqual(body.items[0].rows[0].spfResult, {
      domain: "example.org",
      scope: "mfrom",
      result: "fail",
    });
    const one = await t.call("GET", "/admin/dmarc/reports?limit=1", { token: root });
    assert.deepEqual((await one.json()).items.map((r: { reportId: string }) => r.reportId), ["b"]);
    const bad = await t.call("GET", "/admin/dmarc/reports?limit=0", { token: root });
    assert.equal(bad.status, 400);
    await bad.body?.cancel();

    const alice = (await login(t, "alice@example.org")).accessToken;
    const denied = await t.call("GET", "/admin/dmarc/reports", { token: alice });
    assert.equal(denied.status, 403);
    await denied.body?.cancel();
    const anonymous = await t.call("GET", "/admin/dmarc/reports");
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();
  } finally {
    await t.close();
  }
});
