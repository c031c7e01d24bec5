import assert from "node:assert/strict";
import { Deadlines } from "./deadlines.ts";

Deno.test("Deadlines: deadlines fire in deadline order on one timer, a later-added earlier one first", async () => {
  const d = new Deadlines();
  const order: string[] = [];
  const all = new Promise<void>((resolve) => {
    const done = (name: string) => () => {
      order.push(name);
      if (order.length === 3) resolve();
    };
    d.add(40, done("c"));
    d.add(20, done("b"));
    d.add(5, done("a"));
  });
  assert.equal(d.size, 3);
  await all;
  assert.deepEqual(order, ["a", "b", "c"]);
  assert.equal(d.size, 0);
});

Deno.test("Deadlines: a cancelled deadline never fires; cancelling the last leaves no timer behind", async () => {
  const d = new Deadlines();
  let fired = false;
  const x = d.add(1, () => (fired = true));
  d.cancel(x);
  d.cancel(x);
  d.cancel(null);
  assert.equal(d.size, 0);
  // A later deadline still fires, after the cancelled one's time.
  await new Promise<void>((resolve) => d.add(10, resolve));
  assert.equal(fired, false);
  const long = d.add(60_000, () => {});
  assert.equal(d.armed, true);
  d.cancel(long);
  assert.equal(d.armed, false, "no timer without a deadline");
});

Deno.test("Deadlines: deadlines found due together by a late timer fire in deadline order", async () => {
  const d = new Deadlines();
  const order: string[] = [];
  // Block the event loop past all three deadlines: the one timer then finds them all due at once.
  const done = new Promise<void>((resolve) => {
    d.add(3, () => order.push("c"));
    d.add(2, () => order.push("b"));
    d.add(1, () => {
      order.push("a");
    });
    d.add(4, resolve);
  });
  const until = performance.now() + 20;
  while (performance.now() < until) { /* busy: the timer cannot run */ }
  await done;
  assert.deepEqual(order, ["a", "b", "c"]);
});

Deno.test("Deadlines: a deadline that throws does not keep the others from firing", async () => {
  const d = new Deadlines();
  const reported: unknown[] = [];
  const onError = (e: ErrorEvent) => {
    e.preventDefault();
    reported.push(e.error);
  };
  globalThis.addEventListener("error", onError);
  try {
    await new Promise<void>((resolve) => {
      d.add(1, () => {
        throw new Error("boom");
      });
      d.add(1, resolve);
    });
    assert.equal((reported[0] as Error | undefined)?.message, "boom");
  } finally {
    globalThis.removeEventListener("error", onError);
  }
});
