import assert from "node:assert/strict";
import { SqliteStore } from "../store/sqlite/sqlite_store.ts";
import { nullLogger } from "../log/logger.ts";
import type { DeliveryTotals } from "../metrics/registry.ts";
import { DailyCounters } from "./daily.ts";

Deno.test("DailyCounters: writes the deltas since the last write to the day of the write; a failed write is retried", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-daily-" });
  const store = await SqliteStore.open({ dataDir: dir });
  try {
    let t = Date.UTC(2026, 2, 1, 23, 0);
    const totals: DeliveryTotals = {
      localDelivered: 5,
      remoteDelivered: 1,
      remoteDeferred: 0,
      remoteFailed: 0,
    };
    const daily = new DailyCounters({
      store,
      clock: { now: () => new Date(t) },
      log: nullLogger,
      totals: () => totals,
    });
    // What was counted before it started belongs to nobody.
    assert.deepEqual(daily.pending(), []);
    totals.localDelivered += 2;
    totals.remoteFailed += 1;
    assert.deepEqual(daily.pending(), [
      { day: "2026-03-01", name: "delivered_local", value: 2 },
      { day: "2026-03-01", name: "bounced", value: 1 },
    ]);
    await daily.flush();
    assert.deepEqual(daily.pending(), []);

    // A failing write keeps the counts for the next one, which goes to that write's day.
    const add = store.dailyCounters.add.bind(store.dailyCounters);
    store.dailyCounters.add = () => Promise.reject(new Error("disk full"));
    totals.localDelivered += 4;
    await daily.flush();
    store.dailyCounters.add = add;
    t += 2 * 3_600_000;
    await daily.stop();
    assert.deepEqual(await store.dailyCounters.list("2026-03-01", "2026-03-02"), [
      { day: "2026-03-01", name: "bounced", value: 1 },
      { day: "2026-03-01", name: "delivered_local", value: 2 },
      { day: "2026-03-02", name: "delivered_local", value: 4 },
    ]);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
