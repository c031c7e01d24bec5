import assert from "node:assert/strict";
import { jmapFixture } from "./_fixture.ts";

Deno.test("createHttpApp session resource lists capabilities, account and URLs", async () => {
  const f = await jmapFixture();
  try {
    const wk = await f.fetch("/.well-known/jmap", { headers: { authorization: f.basic() } });
    assert.equal(wk.status, 307);
    assert.equal(wk.headers.get("location"), "/jmap/session");
    assert.ok(wk.headers.get("x-session-id"));
    const res = await f.fetch("/jmap/session", { headers: { authorization: f.basic() } });
    assert.equal(res.status, 200);
    const s = await res.json();
    assert.deepEqual(Object.keys(s.capabilities).sort(), [
      "urn:ietf:params:jmap:blob",
      "urn:ietf:params:jmap:core",
      "urn:ietf:params:jmap:mail",
      "urn:ietf:params:jmap:mdn",
      "urn:ietf:params:jmap:principals",
      "urn:ietf:params:jmap:quota",
      "urn:ietf:params:jmap:sieve",
      "urn:ietf:params:jmap:submission",
      "urn:ietf:params:jmap:vacationresponse",
      "urn:ietf:params:jmap:websocket",
    ]);
    assert.equal(s.capabilities["urn:ietf:params:jmap:websocket"].url, "ws://jmap.test/jmap/ws");
    assert.equal(s.capabilities["urn:ietf:params:jmap:core"].maxCallsInRequest, 16);
    assert.equal(s.username, "alice@example.org");
    assert.equal(s.primaryAccounts["urn:ietf:params:jmap:mail"], f.alice.id);
    assert.equal(s.accounts[f.alice.id].name, "alice@example.org");
    assert.equal(s.apiUrl, "http://jmap.test/jmap/api");
    assert.match(s.downloadUrl, /\{accountId\}.*\{blobId\}.*\{name\}.*\{type\}/);
    assert.match(s.uploadUrl, /\{accountId\}/);
    assert.match(s.eventSourceUrl, /\{types\}.*\{closeafter\}.*\{ping\}/);
    assert.equal(typeof s.state, "string");
    assert.match(res.headers.get("x-session-id") ?? "", /^[0-9a-f-]{36}$/);
  } finally {
    await f.close();
  }
});

Deno.test("createHttpApp refuses missing and wrong credentials with 401 and WWW-Authenticate", async () => {
  const f = await jmapFixture();
  try {
    for (
      const authorization of [
        undefined,
        "Basic " + btoa("alice@example.org:wrong"),
        "Bearer tern_nope",
        "Digest x",
      ]
    ) {
      const res = await f.fetch("/jmap/session", authorization ? { headers: { authorization } } : {});
      assert.equal(res.status, 401, String(authorization));
      assert.match(res.headers.get("www-authenticate") ?? "", /Basic realm="Tern"/);
      assert.match(res.headers.get("www-authenticate") ?? "", /Bearer/);
      assert.ok(res.headers.get("x-session-id"));
      await res.body?.cancel();
    }
  } finally {
    await f.close();
  }
});
