import assert from "node:assert/strict";
import { jmapFixture } from "./_fixture.ts";
import { createToken, listTokens, revokeToken } from "../../core/jmap/tokens.ts";
import { signTrusted, TrustedHeader } from "../../core/jmap/trusted.ts";

Deno.test("createToken gives a Bearer token that works until revoked", async () => {
  const f = await jmapFixture();
  try {
    const { token, id } = await createToken(f.store, "alice@example.org", "test");
    assert.match(token, /^tern_[A-Za-z0-9_-]{43}$/);
    const ok = await f.fetch("/jmap/session", { headers: { authorization: `Bearer ${token}` } });
    assert.equal(ok.status, 200);
    assert.equal((await ok.json()).username, "alice@example.org");
    assert.deepEqual((await listTokens(f.store, "alice@example.org")).map((t) => t.id), [id]);
    assert.equal(await revokeToken(f.store, id), true);
    const gone = await f.fetch("/jmap/session", { headers: { authorization: `Bearer ${token}` } });
    assert.equal(gone.status, 401);
    await gone.body?.cancel();
    await assert.rejects(() => createToken(f.store, "nobody@example.org"), TypeError);
  } finally {
    await f.close();
  }
});

Deno.test("trusted HMAC front end acts as the named user; stale and replayed requests are refused", async () => {
  const secret = "s3cret-shared-with-the-front-end";
  const f = await jmapFixture({ jmap: { trusted_services: [{ name: "webmail", hmac_secret: secret }] } });
  try {
    const headers = (requestId: string, timestamp: number, user = "bob@example.org", key = secret) => {
      const fields = { user, tenant: "t1", session: "sess-1", requestId, timestamp };
      return {
        [TrustedHeader.service]: "webmail",
        [TrustedHeader.user]: user,
        [TrustedHeader.tenant]: "t1",
        [TrustedHeader.session]: "sess-1",
        [TrustedHeader.requestId]: requestId,
        [TrustedHeader.timestamp]: String(timestamp),
        [TrustedHeader.signature]: signTrusted(key, fields),
      };
    };
    const now = Math.floor(Date.now() / 1000);
    const ok = await f.fetch("/jmap/session", { headers: headers("r1", now) });
    assert.equal(ok.status, 200);
    assert.equal((await ok.json()).username, "bob@example.org");
    for (
      const [h, why] of [
        [headers("r1", now), "replay"],
        [headers("r2", now - 3600), "stale"],
        [headers("r3", now, "bob@example.org", "wrong-key"), "bad signature"],
      ] as const
    ) {
      const res = await f.fetch("/jmap/session", { headers: h });
      assert.equal(res.status, 401, why);
      assert.ok(res.headers.get("www-authenticate"), why);
      await res.body?.cancel();
    }
  } finally {
    await f.close();
  }
});

Deno.test("bearer failures are throttled like other logins", async () => {
  const f = await jmapFixture({
    auth: { throttle_free_failures: 0, lockout_failures: 2, lockout_seconds: 60 },
  });
  try {
    const { token } = await createToken(f.store, "alice@example.org");
    for (let i = 0; i < 3; i++) {
      const r = await f.fetch("/jmap/session", { headers: { authorization: "Bearer tern_wrong" } });
      assert.equal(r.status, 401);
      await r.body?.cancel();
    }
    const locked = await f.fetch("/jmap/session", { headers: { authorization: `Bearer ${token}` } });
    assert.equal(locked.status, 401);
    assert.ok(locked.headers.get("retry-after"));
    await locked.body?.cancel();
  } finally {
    await f.close();
  }
});

Deno.test("CORS headers follow jmap.cors_origins", async () => {
  const f = await jmapFixture({ jmap: { cors_origins: ["https://mail.example.org"] } });
  try {
    const pre = await f.fetch("/jmap/api", {
      method: "OPTIONS",
      headers: {
        origin: "https://mail.example.org",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    assert.equal(pre.headers.get("access-control-allow-origin"), "https://mail.example.org");
    assert.match(pre.headers.get("access-control-allow-headers") ?? "", /Authorization/i);
    await pre.body?.cancel();
  } finally {
    await f.close();
  }
});

Deno.test("remembered Basic logins stop working at once after a password change or disabling", async () => {
  const f = await jmapFixture();
  try {
    const get = async (authorization: string) => {
      const r = await f.fetch("/jmap/session", { headers: { authorization } });
      await r.body?.cancel();
      return r.status;
    };
    assert.equal(await get(f.basic()), 200);
    assert.equal(await get(f.basic()), 200); // served from the cache
    await f.store.setSecrets(f.alice.id, await f.server.auth.deriveSecrets("new password"));
    assert.equal(await get(f.basic()), 401);
    assert.equal(await get("Basic " + btoa("alice@example.org:new password")), 200);
    await f.store.updateAccount(f.alice.id, { disabled: true });
    assert.equal(await get("Basic " + btoa("alice@example.org:new password")), 401);
  } finally {
    await f.close();
  }
});

Deno.test("a trusted front end with a verified client certificate acts as the named user", async () => {
  const f = await jmapFixture({
    jmap: { trusted_services: [{ name: "portal", client_cert_subject: "CN=portal.example.org" }] },
  });
  try {
    const ask = async (subject: string | undefined, user: string) => {
      const res = await f.app.request(
        new Request("http://jmap.test/jmap/session", { headers: { "X-Tern-User": user } }),
        undefined,
        subject === undefined ? {} : { clientCertSubject: subject },
      );
      const status = res.status;
      const body = status === 200 ? await res.json() : (await res.body?.cancel(), null);
      return { status, username: body?.username };
    };
    assert.deepEqual(await ask("CN=portal.example.org", "bob@example.org"), {
      status: 200,
      username: "bob@example.org",
    });
    assert.equal((await ask("CN=other", "bob@example.org")).status, 401);
    assert.equal((await ask(undefined, "bob@example.org")).status, 401);
    assert.equal((await ask("CN=portal.example.org", "nobody@example.org")).status, 401);
  } finally {
    await f.close();
  }
});
