import assert from "node:assert/strict";
import { KeyedLimiter, Semaphore } from "./limiter.ts";

Deno.test("Semaphore admits at most its size and wakes waiters in order", async () => {
  const s = new Semaphore(2);
  const a = await s.acquire();
  const b = await s.acquire();
  const order: string[] = [];
  const c = s.acquire().then((r) => (order.push("c"), r));
  const d = s.acquire().then((r) => (order.push("d"), r));
  assert.equal(s.free, 0);
  a();
  a(); // releasing twice is a no-op
  (await c)();
  b();
  (await d)();
  assert.deepEqual(order, ["c", "d"]);
  assert.equal(s.free, 2);
});

Deno.test("KeyedLimiter bounds each key separately and records the peak", async () => {
  const l = new KeyedLimiter(1);
  const x = await l.acquire("x");
  const y = await l.acquire("y");
  let got = false;
  const x2 = l.acquire("x").then((r) => ((got = true), r));
  await Promise.resolve();
  assert.equal(got, false);
  x();
  (await x2)();
  y();
  assert.equal(l.peak.get("x"), 1);
});
