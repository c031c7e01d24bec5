import assert from "node:assert/strict";
import { SqliteStore } from "../store/sqlite/sqlite_store.ts";
import { testConfig } from "../config/test_config.ts";
import { StaticDnsResolver } from "../dns/resolver.ts";
import { nullLogger } from "../log/logger.ts";
import type { HealthCheckRecord } from "../store/records/health_checks.ts";
import { HealthMonitor } from "./monitor.ts";

const DAY = 86_400_000;

Deno.test("HealthMonitor: records keep history_days of reports; the timer records every interval until stop", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-monitor-" });
  const store = await SqliteStore.open({ dataDir: dir });
  try {
    let t = Date.UTC(2026, 0, 1);
    const clock = { now: () => new Date(t) };
    const config = testConfig(dir, { health: { interval: 1, history_days: 7 } });
    const monitor = new HealthMonitor(
      { config, store, clock, dns: new StaticDnsResolver(), certificates: () => [] },
      nullLogger,
    );
    const first = await monitor.record();
    assert.equal(first.components.length, 6);
    t += 3 * DAY;
    await monitor.record();
    t += 5 * DAY; // the first is now 8 days old
    await monitor.record();
    const kept = await store.healthChecks.list({ limit: 10 });
    assert.deepEqual(kept.map((r) => r.checkedAt.getTime()), [t, t - 5 * DAY]);

    // The periodic run: wait for its write (one interval), then stop.
    const add = store.healthChecks.add.bind(store.healthChecks);
    const written = Promise.withResolvers<HealthCheckRecord>();
    store.healthChecks.add = (r) => add(r).then(() => written.resolve(r));
    t += DAY;
    monitor.start();
    assert.equal((await written.promise).checkedAt.getTime(), t);
    await monitor.stop();
    assert.equal((await store.healthChecks.list({ limit: 10 }))[0]!.checkedAt.getTime(), t);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
