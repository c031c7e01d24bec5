import assert from "node:assert/strict";
import { SqliteStore } from "../store/sqlite/sqlite_store.ts";
import { nullLogger } from "../log/logger.ts";
import { UsageCounter } from "./usage.ts";

async function withStore(fn: (store: SqliteStore) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tern-usage-" });
  const store = await SqliteStore.open({ dataDir: dir });
  try {
    await fn(store);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("usage counter: 1,000 interleaved increments are all counted, in memory and once written", async () => {
  await withStore(async (store) => {
    const clock = { now: () => new Date("2026-03-10T12:00:00Z") };
    const u = new UsageCounter(store, clock, nullLogger, 1);
    // Loaded before any increment (the policy's first check), then kept current in memory.
    assert.equal((await u.current("acme")).day.received, 0);
    await Promise.all(Array.from({ length: 1000 }, async (_, i) => {
      await Promise.resolve();
      u.add("acme", { received: 1, sent: i % 2 });
      if (i % 100 === 0) await u.flush();
    }));
    assert.deepEqual((await u.current("acme")).day, { received: 1000, sent: 500, apiCalls: 0 });
    await u.flush();
    assert.deepEqual(await store.usage.sum("acme", "2026-03-10", "2026-03-10"), {
      received: 1000,
      sent: 500,
      apiCalls: 0,
    });
  });
});

Deno.test("usage counter: a new UTC day starts at zero and the month keeps adding up", async () => {
  await withStore(async (store) => {
    let now = new Date("2026-03-10T23:59:59Z");
    const u = new UsageCounter(store, { now: () => now }, nullLogger, 1);
    await u.current("acme");
    u.add("acme", { received: 2 });
    now = new Date("2026-03-11T00:00:01Z");
    u.add("acme", { received: 3 });
    const c = await u.current("acme");
    assert.equal(c.day.received, 3);
    assert.equal(c.month.received, 5);
    await u.flush();
    assert.equal((await store.usage.sum("acme", "2026-03-10", "2026-03-10")).received, 2);
    // A counter started later (a restart) loads what was written.
    const again = new UsageCounter(store, { now: () => now }, nullLogger, 1);
    assert.deepEqual((await again.current("acme")).month, { received: 5, sent: 0, apiCalls: 0 });
  });
});
