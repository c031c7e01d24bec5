import assert from "node:assert/strict";
import { CredentialCache } from "./credential_cache.ts";
import { Authenticator } from "./authenticator.ts";
import { createAuthThrottle } from "./throttle.ts";
import { authContext, configWithAuth, FAST_SCRYPT, manualClock, memoryDirectory } from "./_test_support.ts";
import { hashPassword } from "./password.ts";

Deno.test("CredentialCache remembers a triple for its TTL only", () => {
  const clock = manualClock();
  const cache = new CredentialCache({ ttlMs: 1000, maxEntries: 10, clock });
  cache.add("acct", "hash", "pencil");
  assert.equal(cache.has("acct", "hash", "pencil"), true);
  clock.advance(999);
  assert.equal(cache.has("acct", "hash", "pencil"), true);
  clock.advance(1);
  assert.equal(cache.has("acct", "hash", "pencil"), false);
  assert.equal(cache.size, 0);
});

Deno.test("CredentialCache matches only the same account, stored hash and password", () => {
  const cache = new CredentialCache({ ttlMs: 60_000, maxEntries: 10 });
  cache.add("acct", "hash", "pencil");
  assert.equal(cache.has("acct", "hash", "Pencil"), false);
  assert.equal(cache.has("acct", "hash2", "pencil"), false, "a password change makes the entry unreachable");
  assert.equal(cache.has("other", "hash", "pencil"), false);
  // Length-prefixing keeps ("ab", "c") and ("a", "bc") apart.
  cache.add("ab", "c", "x");
  assert.equal(cache.has("a", "bc", "x"), false);
});

Deno.test("CredentialCache drops the oldest entry beyond maxEntries, and does nothing when disabled", () => {
  const cache = new CredentialCache({ ttlMs: 60_000, maxEntries: 2 });
  cache.add("a", "h", "1");
  cache.add("b", "h", "2");
  cache.add("c", "h", "3");
  assert.equal(cache.size, 2);
  assert.equal(cache.has("a", "h", "1"), false);
  assert.equal(cache.has("b", "h", "2"), true);
  assert.equal(cache.has("c", "h", "3"), true);
  const off = new CredentialCache({ ttlMs: 0, maxEntries: 10 });
  off.add("a", "h", "1");
  assert.equal(off.has("a", "h", "1"), false);
  assert.equal(off.size, 0);
});

function fixture(cache: CredentialCache) {
  const dir = memoryDirectory();
  const config = configWithAuth();
  const auth = new Authenticator(
    dir.store,
    createAuthThrottle(config.auth, { clock: manualClock() }),
    undefined,
    cache,
  );
  return { dir, auth };
}

Deno.test("Authenticator.verifyPassword caches successes only and skips the KDF on a hit", async () => {
  const cache = new CredentialCache({ ttlMs: 60_000, maxEntries: 10 });
  const { dir, auth } = fixture(cache);
  const account = dir.add("ada@example.org", { passwordHash: await hashPassword("pencil", FAST_SCRYPT) });
  assert.equal((await auth.verifyPassword("ada@example.org", "wrong", authContext())).ok, false);
  assert.equal(cache.size, 0, "a failure is never remembered");
  assert.equal((await auth.verifyPassword("ada@example.org", "pencil", authContext())).ok, true);
  assert.equal(cache.size, 1);
  // A stored hash that scrypt can never verify (malformed) is accepted only through the cache: this
  // proves a hit does not run the KDF.
  const secrets = { passwordHash: "not-a-scrypt-hash" };
  const bob = dir.add("bob@example.org", secrets);
  cache.add(bob.id, secrets.passwordHash, "pw");
  assert.deepEqual(await auth.verifyPassword("bob@example.org", "pw", authContext()), {
    ok: true,
    account: bob,
  });
  assert.equal((await auth.verifyPassword("bob@example.org", "other", authContext())).ok, false);
  assert.equal(account.address, "ada@example.org");
});

Deno.test("Authenticator.verifyPassword: after a password change the old password fails despite the cache", async () => {
  const cache = new CredentialCache({ ttlMs: 60_000, maxEntries: 10 });
  const { dir, auth } = fixture(cache);
  dir.add("ada@example.org", { passwordHash: await hashPassword("old", FAST_SCRYPT) });
  assert.equal((await auth.verifyPassword("ada@example.org", "old", authContext())).ok, true);
  dir.add("ada@example.org", { passwordHash: await hashPassword("new", FAST_SCRYPT) });
  assert.equal((await auth.verifyPassword("ada@example.org", "old", authContext())).ok, false);
  assert.equal((await auth.verifyPassword("ada@example.org", "new", authContext())).ok, true);
});

Deno.test("Authenticator.verifyPassword: a cached password of a disabled account still yields disabled", async () => {
  const cache = new CredentialCache({ ttlMs: 60_000, maxEntries: 10 });
  const { dir, auth } = fixture(cache);
  const secrets = { passwordHash: await hashPassword("pencil", FAST_SCRYPT) };
  dir.add("ada@example.org", secrets);
  assert.equal((await auth.verifyPassword("ada@example.org", "pencil", authContext())).ok, true);
  dir.add("ada@example.org", secrets, { disabled: true });
  assert.deepEqual(await auth.verifyPassword("ada@example.org", "pencil", authContext()), {
    ok: false,
    reason: "disabled",
  });
});
