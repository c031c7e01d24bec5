/**
 * SQLite implementation of `DailyCounterStore` (table `daily_counters`, created by the "health"
 * migrations of health_checks.ts); increments are upserts in the store's group commit, the
 * statements the shared ones (core/store/records/sql/daily_counters.ts).
 *
 * @module
 */
import { SqlDailyCounterStore } from "../../records/sql/daily_counters.ts";
import type { Database } from "../database.ts";
import { SqliteRecordDb } from "./db.ts";

/** Daily counters in the store database. */
export class SqliteDailyCounterStore extends SqlDailyCounterStore {
  /**
   * @param db the store database, "health" schema applied
   * @param write runs a job in the store's group commit
   */
  constructor(db: Database, write: <T>(fn: () => T) => Promise<T>) {
    super(new SqliteRecordDb(db, write));
  }
}
