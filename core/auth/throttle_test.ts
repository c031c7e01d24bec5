import assert from "node:assert/strict";
import { createAuthThrottle } from "./throttle.ts";
import { manualClock } from "./_test_support.ts";
import { createMemoryRateLimiter } from "../policy/rate_limiter.ts";

const AUTH = {
  cram_md5: false,
  throttle_free_failures: 2,
  throttle_base_delay_ms: 1000,
  lockout_failures: 5,
  lockout_seconds: 60,
  cache_ttl: 0,
  cache_size: 0,
};

Deno.test("createAuthThrottle lets the free failures through, then doubles the delay, then locks out", async () => {
  const clock = manualClock();
  const t = createAuthThrottle(AUTH, { clock });
  const ip = "192.0.2.1";
  const user = "ada@example.org";
  assert.equal(await t.check(ip, user), null);
  await t.recordFailure(ip, user);
  assert.equal(await t.check(ip, user), null);
  await t.recordFailure(ip, user);
  assert.equal(await t.check(ip, user), null); // two free failures
  await t.recordFailure(ip, user);
  assert.deepEqual(await t.check(ip, user), { ok: false, reason: "throttled", retryAfterMs: 1000 });
  clock.advance(999);
  assert.deepEqual(await t.check(ip, user), { ok: false, reason: "throttled", retryAfterMs: 1 });
  clock.advance(1);
  assert.equal(await t.check(ip, user), null);
  await t.recordFailure(ip, user);
  assert.deepEqual(await t.check(ip, user), { ok: false, reason: "throttled", retryAfterMs: 2000 });
  clock.advance(2000);
  await t.recordFailure(ip, user); // the fifth: lockout
  assert.deepEqual(await t.check(ip, user), { ok: false, reason: "throttled", retryAfterMs: 60_000 });
  clock.advance(59_999);
  assert.equal((await t.check(ip, user))?.retryAfterMs, 1);
  clock.advance(1);
  assert.equal(await t.check(ip, user), null);
  // After the lockout the counters have drained: the next failures are free again.
  await t.recordFailure(ip, user);
  await t.recordFailure(ip, user);
  assert.equal(await t.check(ip, user), null);
});

Deno.test("createAuthThrottle counts per IP across accounts", async () => {
  const t = createAuthThrottle(AUTH, { clock: manualClock() });
  for (const user of ["a@example.org", "b@example.org", "c@example.org"]) {
    await t.recordFailure("198.51.100.7", user);
  }
  assert.equal((await t.check("198.51.100.7", "d@example.org"))?.reason, "throttled");
  assert.equal(await t.check("198.51.100.8", "d@example.org"), null);
});

Deno.test("createAuthThrottle counts per account across IPs, case-insensitively", async () => {
  const t = createAuthThrottle(AUTH, { clock: manualClock() });
  await t.recordFailure("198.51.100.1", "Ada@Example.org");
  await t.recordFailure("198.51.100.2", "ada@example.org");
  await t.recordFailure("198.51.100.3", "ADA@EXAMPLE.ORG");
  assert.equal((await t.check("198.51.100.4", "ada@example.org"))?.reason, "throttled");
  assert.equal(await t.check("198.51.100.4", "bob@example.org"), null);
});

Deno.test("createAuthThrottle success resets the account counter but not the IP's", async () => {
  const clock = manualClock();
  const t = createAuthThrottle(AUTH, { clock });
  const ip = "192.0.2.9";
  await t.recordFailure(ip, "ada@example.org");
  await t.recordFailure(ip, "ada@example.org");
  await t.recordSuccess(ip, "ada@example.org");
  // The account starts afresh from another IP: two more failures are free.
  await t.recordFailure("192.0.2.10", "ada@example.org");
  await t.recordFailure("192.0.2.10", "ada@example.org");
  assert.equal(await t.check("192.0.2.10", "ada@example.org"), null);
  // The first IP keeps its two failures: one more and it is delayed.
  await t.recordFailure(ip, "other@example.org");
  assert.equal((await t.check(ip, "someone@example.org"))?.retryAfterMs, 1000);
});

Deno.test("createAuthThrottle caps delays at the lockout length", async () => {
  const clock = manualClock();
  const t = createAuthThrottle({ ...AUTH, throttle_free_failures: 0, throttle_base_delay_ms: 120_000 }, {
    clock,
  });
  await t.recordFailure("192.0.2.1", "a@example.org");
  assert.equal((await t.check("192.0.2.1", "a@example.org"))?.retryAfterMs, 60_000);
});

Deno.test("createAuthThrottle works over an injected limiter", async () => {
  const clock = manualClock();
  const limiter = createMemoryRateLimiter({ limit: 5, windowMs: 60_000, clock });
  const t = createAuthThrottle(AUTH, { clock, limiter });
  for (let i = 0; i < 3; i++) await t.recordFailure("192.0.2.1", "a@example.org");
  assert.equal((await limiter.inspect("ip:192.0.2.1")).allowed, false);
  assert.equal((await limiter.inspect("user:a@example.org")).allowed, false);
});

Deno.test("createAuthThrottle rejects a configuration without lockout", () => {
  assert.throws(() => createAuthThrottle({ ...AUTH, lockout_failures: 0 }), RangeError);
  assert.throws(() => createAuthThrottle({ ...AUTH, lockout_seconds: 0 }), RangeError);
  assert.throws(() => createAuthThrottle({ ...AUTH, throttle_base_delay_ms: -1 }), RangeError);
});
