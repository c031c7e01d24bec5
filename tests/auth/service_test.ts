/**
 * createAuthService over a real SqliteStore in a temp dir: passwords, every SASL mechanism, secret
 * derivation, throttling with an injected clock, the onFailure hook.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { createAuthService } from "../../core/auth/service.ts";
import type { AuthContext, AuthService, SaslExchange, SaslStep } from "../../core/auth/types.ts";
import type { Config } from "../../core/config/types.ts";
import { testConfig } from "../../core/config/test_config.ts";
import type { Account } from "../../core/store/types.ts";
import { ScramClient } from "./scram_client.ts";

const FAST_SCRYPT = { N: 1024, r: 8, p: 1 };
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function manualClock() {
  let t = Date.UTC(2026, 5, 1);
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms) };
}

interface Fixture {
  store: SqliteStore;
  auth: AuthService;
  config: Config;
  clock: ReturnType<typeof manualClock>;
  failures: [string, string, string][];
  ada: Account;
}

/** Opens a store in a temp dir with ada@example.org / "pencil", runs `fn`, cleans up. */
async function withService(
  fn: (f: Fixture) => Promise<void> | void,
  auth: Partial<Config["auth"]> = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tern-auth-" });
  const clock = manualClock();
  const store = await SqliteStore.open({ dataDir: dir, clock });
  try {
    const config = testConfig(dir, { hostname: "mail.example.org", auth });
    const failures: Fixture["failures"] = [];
    const service = createAuthService(store, config, clock, {
      scrypt: FAST_SCRYPT,
      onFailure: (ctx, username, reason) => failures.push([ctx.remoteAddress, username, reason]),
    });
    await store.addDomain("example.org");
    const ada = await store.createAccount({
      address: "ada@example.org",
      secrets: await service.deriveSecrets("pencil"),
    });
    await fn({ store, auth: service, config, clock, failures, ada });
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const ctx = (remoteAddress = "192.0.2.20"): AuthContext => ({
  remoteAddress,
  protocol: "imap",
  secure: true,
});

/** Runs a SASL exchange: the responses in order, the challenges collected. */
async function run(
  x: SaslExchange,
  responses: (string | null)[],
): Promise<{ challenges: string[]; last: SaslStep }> {
  const challenges: string[] = [];
  let last: SaslStep | null = null;
  for (const r of responses) {
    last = await x.step(r === null ? null : enc(r));
    if (last.done) break;
    challenges.push(dec(last.challenge));
  }
  return { challenges, last: last! };
}

async function scram(auth: AuthService, client: ScramClient, remote = "192.0.2.20") {
  const x = auth.startSasl("SCRAM-SHA-256", ctx(remote))!;
  const first = await x.step(enc(client.first()));
  if (first.done) return first;
  return await x.step(enc(client.final(dec(first.challenge))));
}

Deno.test("createAuthService verifyPassword accepts the account's password, any case of the address", async () => {
  await withService(async ({ auth, ada }) => {
    assert.deepEqual(await auth.verifyPassword("ada@example.org", "pencil", ctx()), {
      ok: true,
      account: ada,
    });
    assert.deepEqual(await auth.verifyPassword("ADA@Example.ORG", "pencil", ctx()), {
      ok: true,
      account: ada,
    });
  });
});

Deno.test("createAuthService verifyPassword refuses wrong passwords, unknown users and bare local parts", async () => {
  await withService(async ({ auth, failures }) => {
    const invalid = { ok: false, reason: "invalid" };
    assert.deepEqual(await auth.verifyPassword("ada@example.org", "pencil ", ctx()), invalid);
    assert.deepEqual(await auth.verifyPassword("nobody@example.org", "pencil", ctx()), invalid);
    assert.deepEqual(await auth.verifyPassword("ada", "pencil", ctx()), invalid);
    assert.deepEqual(await auth.verifyPassword("ada@other.example", "pencil", ctx()), invalid);
    assert.deepEqual(failures.map((f) => f[2]), ["invalid", "invalid", "invalid", "invalid"]);
  }, { throttle_free_failures: 10 });
});

Deno.test("createAuthService verifyPassword reports a disabled account only with the right password", async () => {
  await withService(async ({ auth, store, ada }) => {
    await store.updateAccount(ada.id, { disabled: true });
    assert.deepEqual(await auth.verifyPassword("ada@example.org", "pencil", ctx()), {
      ok: false,
      reason: "disabled",
    });
    assert.deepEqual(await auth.verifyPassword("ada@example.org", "nope", ctx()), {
      ok: false,
      reason: "invalid",
    });
  });
});

Deno.test("createAuthService follows a password change stored with setSecrets", async () => {
  await withService(async ({ auth, store, ada }) => {
    await store.setSecrets(ada.id, await auth.deriveSecrets("crayon"));
    assert.equal((await auth.verifyPassword("ada@example.org", "pencil", ctx())).ok, false);
    assert.equal((await auth.verifyPassword("ada@example.org", "crayon", ctx())).ok, true);
    const step = await scram(auth, new ScramClient("ada@example.org", "crayon"));
    assert.equal(step.done && step.result.ok, true);
  });
});

Deno.test("createAuthService throttles and locks out with the injected clock, never sleeping", async () => {
  await withService(async ({ auth, clock, failures }) => {
    for (let i = 0; i < 3; i++) {
      assert.equal((await auth.verifyPassword("ada@example.org", "x", ctx())).ok, false);
    }
    const throttled = await auth.verifyPassword("ada@example.org", "pencil", ctx());
    assert.deepEqual(throttled, { ok: false, reason: "throttled", retryAfterMs: 1000 });
    clock.advance(1000);
    assert.equal((await auth.verifyPassword("ada@example.org", "x", ctx())).ok, false); // 4th: lockout
    assert.deepEqual(await auth.verifyPassword("ada@example.org", "pencil", ctx("203.0.113.9")), {
      ok: false,
      reason: "throttled",
      retryAfterMs: 300_000,
    });
    clock.advance(300_000);
    assert.equal((await auth.verifyPassword("ada@example.org", "pencil", ctx("203.0.113.9"))).ok, true);
    assert.deepEqual(failures.map((f) => f[2]), [
      "invalid",
      "invalid",
      "invalid",
      "throttled",
      "invalid",
      "throttled",
    ]);
  }, { throttle_free_failures: 2, throttle_base_delay_ms: 1000, lockout_failures: 4, lockout_seconds: 300 });
});

Deno.test("createAuthService mechanisms lists PLAIN, LOGIN, SCRAM-SHA-256 and CRAM-MD5 only when enabled", async () => {
  await withService(({ auth }) => {
    assert.deepEqual(auth.mechanisms(), ["PLAIN", "LOGIN", "SCRAM-SHA-256"]);
    assert.equal(auth.startSasl("CRAM-MD5", ctx()), null);
    assert.equal(auth.startSasl("GSSAPI", ctx()), null);
    assert.equal(auth.startSasl("SCRAM-SHA-256-PLUS", ctx()), null);
    assert.equal(auth.startSasl("plain", ctx())?.mechanism, "PLAIN");
  });
  await withService(({ auth }) => {
    assert.deepEqual(auth.mechanisms(), ["PLAIN", "LOGIN", "SCRAM-SHA-256", "CRAM-MD5"]);
    assert.equal(auth.startSasl("CRAM-MD5", ctx())?.mechanism, "CRAM-MD5");
  }, { cram_md5: true });
});

Deno.test("createAuthService deriveSecrets makes scrypt and SCRAM secrets, CRAM-MD5 only when enabled", async () => {
  await withService(async ({ auth, store, ada }) => {
    const secrets = await auth.deriveSecrets("pencil");
    assert.match(secrets.passwordHash, /^scrypt\$1024\$8\$1\$/);
    assert.match(secrets.scramSha256 ?? "", /^4096\$/);
    assert.equal(secrets.cramMd5, undefined);
    assert.deepEqual(Object.keys((await store.getSecrets(ada.id))!).sort(), ["passwordHash", "scramSha256"]);
  });
  await withService(async ({ auth }) => {
    const secrets = await auth.deriveSecrets("pencil");
    assert.equal(typeof secrets.cramMd5, "string");
    assert.ok(!secrets.passwordHash.includes("pencil"));
  }, { cram_md5: true });
});

Deno.test("createAuthService deriveSecrets uses N=16384 by default", async () => {
  await withService(async ({ store, config }) => {
    const auth = createAuthService(store, config);
    assert.match((await auth.deriveSecrets("pencil")).passwordHash, /^scrypt\$16384\$8\$1\$/);
  });
});

Deno.test("createAuthService SCRAM-SHA-256 completes with an independent client that checks v=", async () => {
  await withService(async ({ auth, ada }) => {
    const client = new ScramClient("ada@example.org", "pencil");
    const step = await scram(auth, client);
    assert.ok(step.done);
    assert.deepEqual(step.result, { ok: true, account: ada });
    assert.ok(step.serverFinal);
    assert.equal(client.verifyServerFinal(dec(step.serverFinal)), true);
    // A client that got the password wrong cannot be told v= (it would not verify anyway).
    const wrong = new ScramClient("ada@example.org", "pencils");
    const bad = await scram(auth, wrong);
    assert.ok(bad.done && !bad.result.ok);
    assert.equal(dec(bad.serverFinal!), "e=invalid-proof");
  });
});

Deno.test("createAuthService SCRAM-SHA-256 server signature fails the client's check for an impostor server", async () => {
  await withService(async ({ auth }) => {
    const client = new ScramClient("ada@example.org", "pencil");
    const step = await scram(auth, client);
    assert.ok(step.done && step.serverFinal);
    const forged = dec(step.serverFinal).replace(/.$/, (c) => (c === "A" ? "B" : "A"));
    assert.equal(client.verifyServerFinal(forged), false);
  });
});

Deno.test("createAuthService SCRAM-SHA-256 works with flag y, an authzid equal to the user and a UTF-8 password", async () => {
  await withService(async ({ auth, store, ada }) => {
    await store.setSecrets(ada.id, await auth.deriveSecrets("crème brûlée"));
    const client = new ScramClient("ada@example.org", "crème brûlée", {
      flag: "y",
      authzid: "ada@example.org",
    });
    const step = await scram(auth, client);
    assert.ok(step.done && step.result.ok && step.serverFinal);
    assert.equal(client.verifyServerFinal(dec(step.serverFinal)), true);
  });
});

Deno.test("createAuthService PLAIN, LOGIN and CRAM-MD5 authenticate over the store", async () => {
  await withService(async ({ auth, ada }) => {
    const plain = await run(auth.startSasl("PLAIN", ctx())!, ["\0ada@example.org\0pencil"]);
    assert.deepEqual(plain.last, { done: true, result: { ok: true, account: ada } });
    const login = await run(auth.startSasl("LOGIN", ctx())!, [null, "ada@example.org", "pencil"]);
    assert.deepEqual(login.challenges, ["Username:", "Password:"]);
    assert.deepEqual(login.last, { done: true, result: { ok: true, account: ada } });
    const cram = auth.startSasl("CRAM-MD5", ctx())!;
    const challenge = await cram.step(null);
    assert.ok(!challenge.done);
    assert.match(dec(challenge.challenge), /@mail\.example\.org>$/);
    const digest = createHmac("md5", "pencil").update(dec(challenge.challenge)).digest("hex");
    assert.deepEqual(await cram.step(enc(`ada@example.org ${digest}`)), {
      done: true,
      result: { ok: true, account: ada },
    });
  }, { cram_md5: true });
});

Deno.test("createAuthService SASL failures reach onFailure and the throttle across mechanisms", async () => {
  await withService(async ({ auth, failures }) => {
    await run(auth.startSasl("PLAIN", ctx("198.51.100.1"))!, ["\0ada@example.org\0bad"]);
    await run(auth.startSasl("LOGIN", ctx("198.51.100.2"))!, ["ada@example.org", "bad"]);
    await scram(auth, new ScramClient("ada@example.org", "bad"), "198.51.100.3");
    const refused = await scram(auth, new ScramClient("ada@example.org", "pencil"), "198.51.100.4");
    assert.ok(refused.done && !refused.result.ok);
    assert.equal(refused.result.reason, "throttled");
    assert.deepEqual(failures, [
      ["198.51.100.1", "ada@example.org", "invalid"],
      ["198.51.100.2", "ada@example.org", "invalid"],
      ["198.51.100.3", "ada@example.org", "invalid"],
      ["198.51.100.4", "ada@example.org", "throttled"],
    ]);
  }, { throttle_free_failures: 2 });
});
