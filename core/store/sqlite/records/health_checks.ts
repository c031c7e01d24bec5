/**
 * SQLite implementation of `HealthCheckStore` (component "health", table `health_checks`); writes
 * go through the store's group commit; the statements are the shared ones
 * (core/store/records/sql/health_checks.ts).
 *
 * @module
 */
import { SqlHealthCheckStore } from "../../records/sql/health_checks.ts";
import type { Database } from "../database.ts";
import { SqliteRecordDb } from "./db.ts";

/** Applies the "health" migrations. */
export function migrateHealthChecks(db: Database): void {
  db.applyMigrations("health", [{
    version: 1,
    sql: `CREATE TABLE health_checks (
      id INTEGER PRIMARY KEY,
      checked_ms INTEGER NOT NULL,
      status TEXT NOT NULL,
      components TEXT NOT NULL
    ) STRICT;
    CREATE INDEX health_checks_time ON health_checks (checked_ms);
    CREATE TABLE daily_counters (
      day TEXT NOT NULL,
      name TEXT NOT NULL,
      value INTEGER NOT NULL,
      PRIMARY KEY (day, name)
    ) STRICT, WITHOUT ROWID;`,
  }]);
}

/** Health checks in the store database. */
export class SqliteHealthCheckStore extends SqlHealthCheckStore {
  /**
   * @param db the store database, "health" schema applied
   * @param write runs a job in the store's group commit
   */
  constructor(db: Database, write: <T>(fn: () => T) => Promise<T>) {
    super(new SqliteRecordDb(db, write));
  }
}
