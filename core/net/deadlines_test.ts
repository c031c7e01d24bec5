import assert from "node:assert/strict";
import { Deadlines } from "./deadlines.ts";

Deno.test("Deadlines: deadlines fire in deadline order on one timer, a later-added earlier one first", async () => {
  const d = new Deadlines();
  const order: string[] = [];
  const at = new Map<string, number>();
  const all = new Promise<void>((resolve) => {
    const done = (name: string) => () => {
      order.push(name);
      if (order.length === 3) resolve();
    };
    for (const [name, ms] of [["c", 40], ["b", 20], ["a", 5]] as const) {
      at.set(name, d.add(ms, done(name)).at);
    }
  });
  assert.equal(d.size, 3);
  await all;
  // The order of the deadlines themselves: a-b-c unless this thread was held up for more than
  // 15 ms between two adds on a loaded machine (then the deadlines really are in another order).
  assert.deepEqual(order, byDeadline(at));
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
  const at = new Map<string, number>();
  // Block the event loop past all three deadlines: the one timer then finds them all due at once.
  let last = 0;
  const done = new Promise<void>((resolve) => {
    for (const [name, ms] of [["c", 30], ["b", 20], ["a", 10]] as const) {
      at.set(name, d.add(ms, () => order.push(name)).at);
    }
    last = d.add(40, resolve).at;
  });
  while (performance.now() < last + 5) { /* busy: the timer cannot run */ }
  await done;
  // Fired in the order of their deadlines (a-b-c unless this thread was held up for more than
  // 10 ms between two adds), not in the order they were added.
  assert.deepEqual(order, byDeadline(at));
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

/** Names in the order of their deadlines. */
function byDeadline(at: Map<string, number>): string[] {
  return [...at].sort((x, y) => x[1] - y[1]).map(([name]) => name);
}
