/**
 * SQLite implementation of `HealthCheckStore` (component "health", table `health_checks`); writes
 * go through the store's group commit.
 *
 * @module
 */
import type {
  ComponentResult,
  HealthCheckRecord,
  HealthCheckStore,
  HealthStatus,
} from "../../records/health_checks.ts";
import type { Database } from "../database.ts";

interface Row {
  checked_ms: number;
  status: string;
  components: string;
}

const toRecord = (r: Row): HealthCheckRecord => ({
  checkedAt: new Date(r.checked_ms),
  status: r.status as HealthStatus,
  components: JSON.parse(r.components) as ComponentResult[],
});

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
export class SqliteHealthCheckStore implements HealthCheckStore {
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

  add(record: HealthCheckRecord): Promise<void> {
    return this.#write(() => {
      this.#db.run(
        "INSERT INTO health_checks (checked_ms, status, components) VALUES (?, ?, ?)",
        record.checkedAt.getTime(),
        record.status,
        JSON.stringify(record.components),
      );
    });
  }

  list(opts: { since?: Date; limit: number }): Promise<HealthCheckRecord[]> {
    const rows = this.#db.all<Row>(
      "SELECT checked_ms, status, components FROM health_checks WHERE checked_ms >= ? " +
        "ORDER BY checked_ms DESC, id DESC LIMIT ?",
      opts.since?.getTime() ?? 0,
      Math.max(0, Math.floor(opts.limit)),
    );
    return Promise.resolve(rows.map(toRecord));
  }

  prune(before: Date): Promise<number> {
    return this.#write(() =>
      this.#db.run("DELETE FROM health_checks WHERE checked_ms < ?", before.getTime()).changes
    );
  }
}
