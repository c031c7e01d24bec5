/**
 * `DailyCounterStore` in SQL, shared by SQLite and PostgreSQL (table `daily_counters`; each backend
 * keeps its schema): increments are upserts.
 *
 * @module
 */
import type { DailyCount, DailyCounterStore } from "../daily_counters.ts";
import { all, type Op, type RecordDb, run } from "./db.ts";

function* add(live: DailyCount[]): Op<void> {
  for (const i of live) {
    yield* run(
      "INSERT INTO daily_counters (day, name, value) VALUES (?, ?, ?) " +
        "ON CONFLICT (day, name) DO UPDATE SET value = daily_counters.value + excluded.value",
      i.day,
      i.name,
      i.value,
    );
  }
}

/** Daily counters over either backend. */
export class SqlDailyCounterStore implements DailyCounterStore {
  /** @param db the backend, its daily counter schema applied */
  constructor(protected readonly db: RecordDb) {}

  /** Adds increments (zero ones skipped). */
  async add(increments: DailyCount[]): Promise<void> {
    const live = increments.filter((i) => i.value !== 0);
    if (live.length === 0) return;
    await this.db.atomic(add(live));
  }

  /** Counters of days [fromDay, toDay], by day and name. */
  async list(fromDay: string, toDay: string): Promise<DailyCount[]> {
    const b = this.db.dialect.bytes;
    return (await this.db.read(all<DailyCount>(
      `SELECT day, name, value FROM daily_counters WHERE day BETWEEN ? AND ? ORDER BY day${b}, name${b}`,
      fromDay,
      toDay,
    ))).map((r) => ({ day: r.day, name: r.name, value: r.value }));
  }
}
