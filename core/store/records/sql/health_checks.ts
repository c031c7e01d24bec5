/**
 * `HealthCheckStore` in SQL, shared by SQLite and PostgreSQL (table `health_checks`; each backend
 * keeps its schema).
 *
 * @module
 */
import type { ComponentResult, HealthCheckRecord, HealthCheckStore, HealthStatus } from "../health_checks.ts";
import { all, type RecordDb, run } from "./db.ts";

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

/** Health-check history over either backend. */
export class SqlHealthCheckStore implements HealthCheckStore {
  /** @param db the backend, its health schema applied */
  constructor(protected readonly db: RecordDb) {}

  /** Adds one check. */
  async add(record: HealthCheckRecord): Promise<void> {
    await this.db.write(run(
      "INSERT INTO health_checks (checked_ms, status, components) VALUES (?, ?, ?)",
      record.checkedAt.getTime(),
      record.status,
      JSON.stringify(record.components),
    ));
  }

  /** Checks since a time, newest first, at most `limit`. */
  async list(opts: { since?: Date; limit: number }): Promise<HealthCheckRecord[]> {
    return (await this.db.read(all<Row>(
      "SELECT checked_ms, status, components FROM health_checks WHERE checked_ms >= ? " +
        "ORDER BY checked_ms DESC, id DESC LIMIT ?",
      opts.since?.getTime() ?? 0,
      Math.max(0, Math.floor(opts.limit)),
    ))).map(toRecord);
  }

  /** Drops checks older than `before`; returns how many. */
  prune(before: Date): Promise<number> {
    return this.db.write(run("DELETE FROM health_checks WHERE checked_ms < ?", before.getTime()));
  }
}
