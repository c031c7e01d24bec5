import assert from "node:assert/strict";
import { createMemoryRateLimiter } from "./rate_limiter.ts";

/** A clock the test moves by hand. */
function manualClock(start = Date.UTC(2026, 0, 1)) {
  let t = start;
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
    },
  };
}

Deno.test("createMemoryRateLimiter allows up to the limit then refuses with retryAfterMs", async () => {
  const clock = manualClock();
  const limiter = createMemoryRateLimiter({ limit: 3, windowMs: 3000, clock });
  assert.deepEqual(await limiter.consume("a"), { allowed: true, remaining: 2, retryAfterMs: 0 });
  assert.deepEqual(await limiter.consume("a"), { allowed: true, remaining: 1, retryAfterMs: 0 });
  assert.deepEqual(await limiter.consume("a"), { allowed: true, remaining: 0, retryAfterMs: 0 });
  // One unit comes back every 1000 ms.
  assert.deepEqual(await limiter.consume("a"), { allowed: false, remaining: 0, retryAfterMs: 1000 });
  clock.advance(400);
  assert.deepEqual(await limiter.consume("a"), { allowed: false, remaining: 0, retryAfterMs: 600 });
  clock.advance(600);
  assert.deepEqual(await limiter.consume("a"), { allowed: true, remaining: 0, retryAfterMs: 0 });
});

Deno.test("createMemoryRateLimiter keeps keys independent", async () => {
  const limiter = createMemoryRateLimiter({ limit: 1, windowMs: 60_000, clock: manualClock() });
  assert.equal((await limiter.consume("a")).allowed, true);
  assert.equal((await limiter.consume("a")).allowed, false);
  assert.equal((await limiter.consume("b")).allowed, true);
});

Deno.test("createMemoryRateLimiter refills to the limit and no further", async () => {
  const clock = manualClock();
  const limiter = createMemoryRateLimiter({ limit: 2, windowMs: 1000, clock });
  await limiter.consume("a", 2);
  clock.advance(10_000);
  assert.deepEqual(await limiter.inspect("a"), { allowed: true, remaining: 1, retryAfterMs: 0 });
  assert.deepEqual(await limiter.consume("a", 2), { allowed: true, remaining: 0, retryAfterMs: 0 });
  assert.equal((await limiter.consume("a")).allowed, false);
});

Deno.test("createMemoryRateLimiter inspect does not consume", async () => {
  const limiter = createMemoryRateLimiter({ limit: 1, windowMs: 1000, clock: manualClock() });
  for (let i = 0; i < 5; i++) assert.equal((await limiter.inspect("a")).allowed, true);
  assert.equal((await limiter.consume("a")).allowed, true);
  assert.deepEqual(await limiter.inspect("a"), { allowed: false, remaining: 0, retryAfterMs: 1000 });
});

Deno.test("createMemoryRateLimiter refuses a cost above the limit without consuming", async () => {
  const limiter = createMemoryRateLimiter({ limit: 2, windowMs: 1000, clock: manualClock() });
  const result = await limiter.consume("a", 3);
  assert.equal(result.allowed, false);
  assert.equal(result.retryAfterMs, Number.POSITIVE_INFINITY);
  assert.equal((await limiter.consume("a", 2)).allowed, true);
});

Deno.test("createMemoryRateLimiter block refuses until it expires and never shortens", async () => {
  const clock = manualClock();
  const limiter = createMemoryRateLimiter({ limit: 5, windowMs: 1000, clock });
  await limiter.block("ip", 5000);
  await limiter.block("ip", 1000);
  assert.deepEqual(await limiter.consume("ip"), { allowed: false, remaining: 0, retryAfterMs: 5000 });
  clock.advance(4999);
  assert.deepEqual(await limiter.inspect("ip"), { allowed: false, remaining: 0, retryAfterMs: 1 });
  clock.advance(1);
  assert.deepEqual(await limiter.consume("ip"), { allowed: true, remaining: 4, retryAfterMs: 0 });
});

Deno.test("createMemoryRateLimiter reset restores the full allowance and lifts a block", async () => {
  const limiter = createMemoryRateLimiter({ limit: 1, windowMs: 60_000, clock: manualClock() });
  await limiter.consume("a");
  await limiter.block("a", 60_000);
  await limiter.reset("a");
  assert.deepEqual(await limiter.consume("a"), { allowed: true, remaining: 0, retryAfterMs: 0 });
});

Deno.test("createMemoryRateLimiter bounds memory to maxKeys", async () => {
  const clock = manualClock();
  const limiter = createMemoryRateLimiter({ limit: 1, windowMs: 60_000, maxKeys: 100, clock });
  for (let i = 0; i < 10_000; i++) await limiter.consume(`key-${i}`);
  assert.equal(limiter.size, 100);
  // The most recent keys are kept, the oldest evicted (an evicted key starts afresh).
  assert.equal((await limiter.consume("key-9999")).allowed, false);
  assert.equal((await limiter.consume("key-0")).allowed, true);
});

Deno.test("createMemoryRateLimiter evicts idle keys before busy ones", async () => {
  const clock = manualClock();
  const limiter = createMemoryRateLimiter({ limit: 2, windowMs: 1000, maxKeys: 3, clock });
  await limiter.block("blocked", 3_600_000); // least recently used
  await limiter.consume("old-idle");
  clock.advance(1000); // old-idle is full again; blocked stays blocked
  await limiter.consume("c");
  await limiter.consume("d"); // at capacity: the idle key goes, not the blocked one
  assert.equal(limiter.size, 3);
  assert.equal((await limiter.inspect("blocked")).allowed, false);
});

Deno.test("createMemoryRateLimiter does not keep keys that are back to a full allowance", async () => {
  const clock = manualClock();
  const limiter = createMemoryRateLimiter({ limit: 2, windowMs: 1000, clock });
  await limiter.consume("a");
  assert.equal(limiter.size, 1);
  clock.advance(1000);
  await limiter.consume("a", 0);
  assert.equal(limiter.size, 0);
});

Deno.test("createMemoryRateLimiter rejects bad options and costs", async () => {
  assert.throws(() => createMemoryRateLimiter({ limit: 0, windowMs: 1000 }), RangeError);
  assert.throws(() => createMemoryRateLimiter({ limit: 1, windowMs: 0 }), RangeError);
  assert.throws(() => createMemoryRateLimiter({ limit: 1, windowMs: 1, maxKeys: 0 }), RangeError);
  const limiter = createMemoryRateLimiter({ limit: 1, windowMs: 1000 });
  assert.throws(() => limiter.consume("a", -1), RangeError);
  assert.throws(() => limiter.consume("a", Number.NaN), RangeError);
  await limiter.reset("a");
});
