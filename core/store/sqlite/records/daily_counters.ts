/**
 * SQLite implementation of `DailyCounterStore` (table `daily_counters`, created by the "health"
 * migrations of health_checks.ts); increments are upserts in the store's group commit.
 *
 * @module
 */
import type { DailyCount, DailyCounterStore } from "../../records/daily_counters.ts";
import type { Database } from "../database.ts";

/** Daily counters in the store database. */
export class SqliteDailyCounterStore implements DailyCounterStore {
  readonly #db: Database;
  readonly #write: <T>(fn: () => T) => Promise<T>;

  /**
   * @param db the store database, "health" schema applied
   * @param write runs a job in the store's group commit
   */
  constructor(db: Database, write: <T>(fn: () => T) => Promise<T>) {
    this.#db = db;
    this.#write = write;
  }

  add(increments: DailyCount[]): Promise<void> {
    const live = increments.filter((i) => i.value !== 0);
    if (live.length === 0) return Promise.resolve();
    return this.#write(() => {
      for (const i of live) {
        this.#db.run(
          "INSERT INTO daily_counters (day, name, value) VALUES (?, ?, ?) " +
            "ON CONFLICT(day, name) DO UPDATE SET value = value + excluded.value",
          i.day,
          i.name,
          i.value,
        );
      }
    });
  }

  list(fromDay: string, toDay: string): Promise<DailyCount[]> {
    return Promise.resolve(
      this.#db.all<DailyCount>(
        "SELECT day, name, value FROM daily_counters WHERE day BETWEEN ? AND ? ORDER BY day, name",
        fromDay,
        toDay,
      ).map((r) => ({ day: r.day, name: r.name, value: r.value })),
    );
  }
}
