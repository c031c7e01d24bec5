/**
 * The contract of the operations records (issue 17): the health-check history and the daily
 * counters. `recordStoresContract` registers these for every backend.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { RecordCtx } from "./records_contract.ts";
import type { HealthCheckRecord } from "../../core/store/records/health_checks.ts";

function check(ms: number, status: HealthCheckRecord["status"]): HealthCheckRecord {
  return {
    checkedAt: new Date(ms),
    status,
    components: [{ name: "store", status, responseMs: 1.5, detail: `at ${ms}` }],
  };
}

/** Registers the operations-record tests through the suite's `test` (fresh store per test). */
export function opsRecordsContract(
  test: (title: string, fn: (c: RecordCtx) => Promise<void>) => void,
  reopen: (c: RecordCtx) => Promise<void>,
): void {
  test("healthChecks: newest first, since and limit, pruned by age, kept across a reopen", async (c) => {
    const h = c.store.healthChecks;
    await h.add(check(1_000, "healthy"));
    await h.add(check(3_000, "down"));
    await h.add(check(2_000, "degraded"));
    await reopen(c);
    const all = await c.store.healthChecks.list({ limit: 10 });
    assert.deepEqual(all.map((r) => r.checkedAt.getTime()), [3_000, 2_000, 1_000]);
    assert.deepEqual(all[0], check(3_000, "down"));
    assert.deepEqual(
      (await c.store.healthChecks.list({ since: new Date(2_000), limit: 10 })).map((r) => r.status),
      ["down", "degraded"],
    );
    assert.equal((await c.store.healthChecks.list({ limit: 1 })).length, 1);
    assert.equal(await c.store.healthChecks.prune(new Date(2_500)), 2);
    assert.deepEqual((await c.store.healthChecks.list({ limit: 10 })).map((r) => r.status), ["down"]);
  });

  test("dailyCounters: increments add up per day and name, listed by day range, kept across a reopen", async (c) => {
    const d = c.store.dailyCounters;
    await d.add([{ day: "2026-01-01", name: "bounced", value: 1 }, {
      day: "2026-01-01",
      name: "delivered_local",
      value: 2,
    }]);
    await Promise.all([
      d.add([{ day: "2026-01-01", name: "delivered_local", value: 3 }]),
      d.add([{ day: "2026-01-02", name: "delivered_local", value: 1 }]),
      d.add([{ day: "2026-01-03", name: "bounced", value: 0 }]),
    ]);
    await reopen(c);
    assert.deepEqual(await c.store.dailyCounters.list("2026-01-01", "2026-01-02"), [
      { day: "2026-01-01", name: "bounced", value: 1 },
      { day: "2026-01-01", name: "delivered_local", value: 5 },
      { day: "2026-01-02", name: "delivered_local", value: 1 },
    ]);
    assert.deepEqual(await c.store.dailyCounters.list("2026-01-02", "2026-01-03"), [
      { day: "2026-01-02", name: "delivered_local", value: 1 },
    ]);
  });
}
