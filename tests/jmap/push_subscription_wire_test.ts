/**
 * JMAP PushSubscription over the real HTTP listener (RFC 8620 §7.2) with a loopback HTTPS push
 * receiver that decrypts what it gets with the subscription's private keys (npm `http_ece`,
 * RFC 8291 / RFC 8188 aes128gcm) and checks the VAPID JWT (RFC 8292) with WebCrypto.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createECDH, type ECDH } from "node:crypto";
import httpEce from "http_ece";
import { createServer, type TernServer } from "../../mod.ts";
import { testConfig } from "../../core/config/test_config.ts";
import { type Logger, nullLogger } from "../../core/log/logger.ts";
import { OutboundHttpClient } from "../../core/net/outbound_http.ts";
import { StaticDnsResolver } from "../../core/dns/resolver.ts";
import { createTestCa } from "./_pki.ts";
import { setGrant } from "../../core/acl/access.ts";

type Invocation = [string, Record<string, unknown>, string];

/** The part of http_ece the test uses. */
interface Ece {
  decrypt(
    body: Uint8Array,
    params: { version: "aes128gcm"; privateKey: ECDH; authSecret: string },
  ): Uint8Array;
}
const ece = httpEce as unknown as Ece;

/** One request the receiver got. */
interface Received {
  path: string;
  headers: Headers;
  body: Uint8Array;
}

/** An HTTPS push receiver: records requests in order and answers each with `respond`. */
function pushReceiver(cert: string, key: string) {
  const got: Received[] = [];
  const waiters: ((r: Received) => void)[] = [];
  let respond: (r: Received) => Promise<number> | number = () => 201;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, cert, key, onListen() {} },
    async (req) => {
      const r = {
        path: new URL(req.url).pathname,
        headers: req.headers,
        body: new Uint8Array(await req.arrayBuffer()),
      };
      got.push(r);
      waiters.shift()?.(r);
      return new Response(null, { status: await respond(r) });
    },
  );
  let read = 0;
  return {
    base: `https://127.0.0.1:${server.addr.port}`,
    got,
    setResponder(f: (r: Received) => Promise<number> | number) {
      respond = f;
    },
    /** The next request not yet taken; fails after 10 s without one instead of hanging. */
    next(): Promise<Received> {
      if (read < got.length) return Promise.resolve(got[read++]!);
      read++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no push request within 10 s")), 10_000);
        waiters.push((r) => {
          clearTimeout(timer);
          resolve(r);
        });
      });
    },
    close: () => server.shutdown(),
  };
}

/** A browser-like subscription key pair (RFC 8291 §3): ECDH P-256 and a 16-byte auth secret. */
function clientKeys() {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  const auth = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64url");
  return { ecdh, auth, keys: { p256dh: ecdh.getPublicKey().toString("base64url"), auth } };
}

function decrypt(r: Received, k: ReturnType<typeof clientKeys>): Record<string, unknown> {
  assert.equal(r.headers.get("content-encoding"), "aes128gcm");
  const plain = ece.decrypt(Buffer.from(r.body), {
    version: "aes128gcm",
    privateKey: k.ecdh,
    authSecret: k.auth,
  });
  return JSON.parse(new TextDecoder().decode(plain));
}

/** Checks the RFC 8292 `vapid t=<JWT>, k=<key>` header: ES256 signature, audience, expiry, subject. */
async function verifyVapid(r: Received, origin: string): Promise<string> {
  const m = /^vapid t=([\w-]+)\.([\w-]+)\.([\w-]+), k=([\w-]+)$/.exec(r.headers.get("authorization") ?? "");
  assert.ok(m, `VAPID authorization header: ${r.headers.get("authorization")}`);
  const [, h, p, sig, k] = m;
  const publicKey = await crypto.subtle.importKey(
    "raw",
    Buffer.from(k!, "base64url"),
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["verify"],
  );
  const ok = await crypto.subtle.verify(
    { name: "ECDSA", hash: "SHA-256" },
    publicKey,
    Buffer.from(sig!, "base64url"),
    new TextEncoder().encode(`${h}.${p}`),
  );
  assert.ok(ok, "the VAPID JWT signature verifies with the key in k=");
  assert.equal(JSON.parse(Buffer.from(h!, "base64url").toString()).alg, "ES256");
  const claims = JSON.parse(Buffer.from(p!, "base64url").toString());
  assert.equal(claims.aud, origin);
  assert.ok(claims.exp > Date.now() / 1000 && claims.exp <= Date.now() / 1000 + 86_400);
  assert.match(claims.sub, /^mailto:postmaster@/);
  return k!;
}

async function startServer(caPem: string): Promise<{ srv: TernServer; dir: string; base: string }> {
  const dir = await Deno.makeTempDir({ prefix: "tern-push-" });
  const config = testConfig(dir, { local_domains: ["example.org"] });
  const srv = await createServer(config, undefined, {
    logger: nullLogger,
    // The guarded client, allowed to reach loopback and trusting the test CA.
    pushHttp: new OutboundHttpClient(new StaticDnsResolver([]), {
      allowPrivate: ["127.0.0.0/8"],
      caCerts: [caPem],
    }),
  });
  await srv.start();
  await srv.context.store.createAccount({
    address: "alice@example.org",
    secrets: await srv.context.auth.deriveSecrets("alice-pw"),
  });
  return { srv, dir, base: `http://127.0.0.1:${srv.addresses.http.port}` };
}

function jmap(base: string) {
  const authorization = "Basic " + btoa("alice@example.org:alice-pw");
  // Typed as at least two responses so tests can destructure; a shorter answer fails their asserts.
  return async (methodCalls: unknown[]): Promise<[Invocation, Invocation, ...Invocation[]]> => {
    const res = await fetch(`${base}/jmap/api`, {
      method: "POST",
      headers: { authorization, "content-type": "application/json" },
      body: JSON.stringify({
        using: ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"],
        methodCalls,
      }),
    });
    assert.equal(res.status, 200);
    return (await res.json()).methodResponses;
  };
}

Deno.test("PushSubscription: verification, types filter, encrypted VAPID-signed StateChange, retry and coalescing", async () => {
  const ca = await createTestCa("CN=Push Test CA");
  const tls = await ca.issue("CN=localhost", "server");
  const rx = pushReceiver(tls.cert, tls.key);
  const { srv, dir, base } = await startServer(ca.pem);
  let passed = false;
  let release = () => {};
  try {
    const api = jmap(base);
    const [session] = await Promise.all([
      fetch(`${base}/jmap/session`, {
        headers: { authorization: "Basic " + btoa("alice@example.org:alice-pw") },
      })
        .then((r) => r.json()),
    ]);
    const accountId: string = session.primaryAccounts["urn:ietf:params:jmap:mail"];
    const a = clientKeys();
    const b = clientKeys();
    const farFuture = new Date(Date.now() + 365 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const [[, set]] = await api([["PushSubscription/set", {
      create: {
        a: {
          deviceClientId: "phone",
          url: `${rx.base}/push/a`,
          keys: a.keys,
          types: ["Mailbox"],
          expires: farFuture,
        },
        b: { deviceClientId: "tablet", url: `${rx.base}/push/b`, keys: b.keys },
        http: { deviceClientId: "x", url: `http://127.0.0.1:1/push` },
        badKeys: { deviceClientId: "x", url: `${rx.base}/push/c`, keys: { p256dh: "AAAA", auth: b.auth } },
        badType: { deviceClientId: "x", url: `${rx.base}/push/c`, types: ["Calendar"] },
      },
    }, "0"]]);
    const created = set.created as Record<string, { id: string; expires: string }>;
    const idA = created.a!.id;
    const idB = created.b!.id;
    // RFC 8620 §7.2: the server may shorten expires, and returns what it set.
    assert.ok(Date.parse(created.a!.expires) < Date.parse(farFuture));
    assert.ok(Date.parse(created.b!.expires) > Date.now());
    const notCreated = set.notCreated as Record<
      string,
      { type: string; properties: string[]; description?: string }
    >;
    assert.deepEqual(notCreated.http, {
      type: "invalidProperties",
      properties: ["url"],
      description: notCreated.http!.description,
    });
    assert.deepEqual(notCreated.badKeys!.properties, ["keys"]);
    assert.deepEqual(notCreated.badType!.properties, ["types"]);
    assert.equal(set.oldState, undefined);

    // RFC 8620 §7.2.2: a PushVerification, encrypted for the subscription's keys and VAPID-signed.
    const first = [await rx.next(), await rx.next()];
    const verA = first.find((r) => r.path === "/push/a")!;
    const verB = first.find((r) => r.path === "/push/b")!;
    const k1 = await verifyVapid(verA, rx.base);
    assert.equal(await verifyVapid(verB, rx.base), k1, "one server key signs every request");
    assert.ok(Number(verA.headers.get("ttl")) > 0);
    const pvA = decrypt(verA, a);
    assert.equal(pvA["@type"], "PushVerification");
    assert.equal(pvA.pushSubscriptionId, idA);
    assert.equal(typeof pvA.verificationCode, "string");
    assert.equal(decrypt(verB, b).pushSubscriptionId, idB);

    // /get: no url or keys, verificationCode null until set; asking for url is forbidden.
    const [[, got], [err]] = await api([
      ["PushSubscription/get", { ids: [idA, "nope"] }, "g"],
      ["PushSubscription/get", { properties: ["url"] }, "f"],
    ]);
    assert.deepEqual(got.list, [{
      id: idA,
      deviceClientId: "phone",
      verificationCode: null,
      expires: created.a!.expires,
      types: ["Mailbox"],
    }]);
    assert.deepEqual(got.notFound, ["nope"]);
    assert.equal(err, "error");

    // Changes before verification are not pushed (checked at the end: A gets 3 requests in all).
    const inbox = (await srv.context.store.getMailboxByRole(accountId, "inbox"))!;
    const { blobId } = await srv.context.store.blobs.put(
      new TextEncoder().encode("Subject: hi\r\n\r\nhi\r\n"),
    );
    const [added] = await srv.context.store.addMessages([{ accountId, mailboxIds: [inbox.id], blobId }]);
    await srv.context.push!.changesRouted();

    // A wrong code is refused; the right one activates the subscription.
    const [[, wrong]] = await api([["PushSubscription/set", {
      update: { [idA]: { verificationCode: "wrong" } },
    }, "w"]]);
    assert.deepEqual((wrong.notUpdated as Record<string, { properties: string[] }>)[idA]!.properties, [
      "verificationCode",
    ]);
    const [[, ok]] = await api([
      ["PushSubscription/set", { update: { [idA]: { verificationCode: pvA.verificationCode } } }, "v"],
    ]);
    assert.deepEqual(ok.updated, { [idA]: null });

    // The first StateChange is answered 503 and held open until two more Mailbox changes are
    // routed: the retry carries one StateChange with the latest state (coalesced).
    const held = new Promise<void>((r) => (release = r));
    let calls = 0;
    rx.setResponder(async (r) => {
      if (r.path !== "/push/a") return 201;
      if (++calls === 1) {
        await held;
        return 503;
      }
      return 201;
    });
    // An Email change (not in types) then a Mailbox change.
    const [[, flagged]] = await api([
      ["Email/set", { accountId, update: { [added!.id]: { "keywords/$flagged": true } } }, "e"],
    ]);
    assert.deepEqual(flagged.updated, { [added!.id]: null });
    const [[, m1]] = await api([["Mailbox/set", { accountId, create: { n: { name: "One" } } }, "m"]]);
    const sc1 = await rx.next();
    assert.equal(sc1.path, "/push/a");
    assert.equal(sc1.headers.get("urgency"), "normal");
    await verifyVapid(sc1, rx.base);
    const change1 = decrypt(sc1, a);
    // Only Mailbox: the Email change before it was filtered out by `types`.
    assert.deepEqual(change1, { "@type": "StateChange", changed: { [accountId]: { Mailbox: m1.newState } } });
    await api([["Mailbox/set", { accountId, create: { n: { name: "Two" } } }, "m"]]);
    const [[, m3]] = await api([["Mailbox/set", { accountId, create: { n: { name: "Three" } } }, "m"]]);
    await srv.context.push!.changesRouted();
    release();
    const sc2 = await rx.next();
    assert.equal(sc2.path, "/push/a");
    assert.deepEqual(decrypt(sc2, a), {
      "@type": "StateChange",
      changed: { [accountId]: { Mailbox: m3.newState } },
    });

    // Destroy: gone from /get.
    const [[, destroyed], [, after]] = await api([
      ["PushSubscription/set", { destroy: [idA] }, "d"],
      ["PushSubscription/get", {}, "g"],
    ]);
    assert.deepEqual(destroyed.destroyed, [idA]);
    assert.deepEqual((after.list as { id: string }[]).map((s) => s.id), [idB]);
    passed = true;
  } finally {
    release();
    await srv.stop();
    await rx.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  if (passed) {
    // Every delivery has ended with the server: B, never verified, got only its verification, and
    // A got exactly the verification and the two StateChanges (the refused one and its retry).
    assert.equal(rx.got.filter((r) => r.path === "/push/b").length, 1);
    assert.equal(rx.got.filter((r) => r.path === "/push/a").length, 3);
  }
});

Deno.test("PushSubscription without keys: the PushVerification is POSTed as signed JSON", async () => {
  const ca = await createTestCa("CN=Push Test CA");
  const tls = await ca.issue("CN=localhost", "server");
  const rx = pushReceiver(tls.cert, tls.key);
  const { srv, dir, base } = await startServer(ca.pem);
  try {
    const api = jmap(base);
    const [[, set]] = await api([["PushSubscription/set", {
      create: { c: { deviceClientId: "desktop", url: `${rx.base}/push/plain` } },
    }, "0"]]);
    const id = (set.created as Record<string, { id: string }>).c!.id;
    const r = await rx.next();
    assert.equal(r.headers.get("content-encoding"), null);
    assert.match(r.headers.get("content-type") ?? "", /^application\/json/);
    await verifyVapid(r, rx.base);
    const body = JSON.parse(new TextDecoder().decode(r.body));
    assert.equal(body["@type"], "PushVerification");
    assert.equal(body.pushSubscriptionId, id);
  } finally {
    await srv.stop();
    await rx.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("PushSubscription to a loopback URL is never contacted unless [outbound_http] allows it", async () => {
  const ca = await createTestCa("CN=Push Test CA");
  const tls = await ca.issue("CN=localhost", "server");
  const rx = pushReceiver(tls.cert, tls.key);
  const dir = await Deno.makeTempDir({ prefix: "tern-push-" });
  // The client the configuration builds (no allow_private): loopback is refused by the SSRF guard.
  const warnings: string[] = [];
  const logger: Logger = {
    debug() {},
    info() {},
    warn(message, fields) {
      warnings.push(`${message} ${JSON.stringify(fields ?? {})}`);
    },
    error() {},
    with() {
      return logger;
    },
  };
  const srv = await createServer(testConfig(dir, { local_domains: ["example.org"] }), undefined, { logger });
  await srv.start();
  try {
    await srv.context.store.createAccount({
      address: "alice@example.org",
      secrets: await srv.context.auth.deriveSecrets("alice-pw"),
    });
    const api = jmap(`http://127.0.0.1:${srv.addresses.http.port}`);
    const [[, set]] = await api([["PushSubscription/set", {
      create: { c: { deviceClientId: "phone", url: `${rx.base}/push/guarded`, keys: clientKeys().keys } },
    }, "0"]]);
    assert.ok((set.created as Record<string, { id: string }>).c!.id, "the subscription itself is created");
  } finally {
    // Stopping the server waits for every delivery attempt, so none can arrive afterwards.
    await srv.stop();
    await rx.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  assert.equal(rx.got.length, 0);
  assert.ok(
    warnings.some((w) => /push delivery failed.*OutboundHttpRefused.*loopback/.test(w)),
    warnings.join("\n"),
  );
});

Deno.test("PushSubscription of a grantee: a shared account's changes are pushed for the mailboxes they may look up, not for the others (RFC 9670)", async () => {
  const ca = await createTestCa("CN=Push Test CA");
  const tls = await ca.issue("CN=localhost", "server");
  const rx = pushReceiver(tls.cert, tls.key);
  const { srv, dir, base } = await startServer(ca.pem);
  try {
    const store = srv.context.store;
    const alice = (await store.getAccountByAddress("alice@example.org"))!;
    await store.createAccount({
      address: "bob@example.org",
      secrets: await srv.context.auth.deriveSecrets("bob-pw"),
    });
    const bobApi = async (methodCalls: unknown[]) => {
      const res = await fetch(`${base}/jmap/api`, {
        method: "POST",
        headers: {
          authorization: "Basic " + btoa("bob@example.org:bob-pw"),
          "content-type": "application/json",
        },
        body: JSON.stringify({
          using: ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"],
          methodCalls,
        }),
      });
      return (await res.json()).methodResponses as [Invocation, ...Invocation[]];
    };
    const inbox = (await store.getMailboxByRole(alice.id, "inbox"))!;
    const team = await store.createMailbox(alice.id, { name: "Team", parentId: null });
    await store.mailboxAcl.set(
      alice.id,
      team.id,
      (await store.getAccountByAddress("bob@example.org"))!.id,
      "lr",
    );
    const [[, set]] = await bobApi([["PushSubscription/set", {
      create: { c: { deviceClientId: "desktop", url: `${rx.base}/push/bob` } },
    }, "0"]]);
    const id = (set!.created as Record<string, { id: string }>).c!.id;
    const verification = JSON.parse(new TextDecoder().decode((await rx.next()).body));
    await bobApi([["PushSubscription/set", {
      update: { [id]: { verificationCode: verification.verificationCode } },
    }, "v"]]);
    await srv.context.push!.changesRouted();
    const add = async (mailboxId: string) => {
      const { blobId } = await store.blobs.put(new TextEncoder().encode("Subject: hi\r\n\r\nhi\r\n"));
      await store.addMessages([{ accountId: alice.id, mailboxIds: [mailboxId], blobId }]);
      await srv.context.push!.changesRouted();
    };
    // Alice's Inbox, where Bob holds no right, then Team: only the second reaches Bob.
    await add(inbox.id);
    await add(team.id);
    const change = JSON.parse(new TextDecoder().decode((await rx.next()).body));
    assert.equal(change["@type"], "StateChange");
    assert.deepEqual(Object.keys(change.changed), [alice.id]);
    const bobState = async () => {
      const [[, got]] = await bobApi([["Email/get", { accountId: alice.id, ids: [] }, "0"]]);
      return got!.state;
    };
    // Bob's Email state carries his grant generation (core/acl/view_state.ts).
    assert.equal(change.changed[alice.id].Email, await bobState());
    assert.ok(change.changed[alice.id].Email.startsWith(`${await store.state(alice.id, "Email")}-`));
    assert.deepEqual(Object.keys(change.changed[alice.id]).sort(), ["Email", "Mailbox", "Thread"]);

    // Alice shares her Inbox with Bob (as `tern share` does): no message changed, but the Inbox's
    // message is now his to see, so his Email and Thread states move and are pushed.
    await setGrant(store, alice.id, inbox.id, (await store.getAccountByAddress("bob@example.org"))!.id, "lr");
    await srv.context.push!.changesRouted();
    const granted = JSON.parse(new TextDecoder().decode((await rx.next()).body));
    assert.deepEqual(Object.keys(granted.changed[alice.id]).sort(), ["Email", "Mailbox", "Thread"]);
    assert.notEqual(granted.changed[alice.id].Email, change.changed[alice.id].Email);
    assert.equal(granted.changed[alice.id].Email, await bobState());
  } finally {
    await srv.stop();
    await rx.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
