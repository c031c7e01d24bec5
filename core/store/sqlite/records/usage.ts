/**
 * SQLite implementation of `UsageStore` (component "tenancy", table `org_usage`: one row per
 * organization and UTC day); the statements are the shared ones (core/store/records/sql/usage.ts).
 * Increments run through the store's group commit, so they share the commit (and its fsync) of
 * whatever else is being written; with `shareCommitMs` they wait for such a commit instead of
 * starting one.
 *
 * @module
 */
import type { UsageDelta } from "../../records/usage.ts";
import { addUsage, SqlUsageStore } from "../../records/sql/usage.ts";
import type { Database } from "../database.ts";
import { runSync, SqliteRecordDb } from "./db.ts";

/** Usage counters in the store database. */
export class SqliteUsageStore extends SqlUsageStore {
  readonly #db: Database;
  readonly #write: <T>(fn: () => T) => Promise<T>;
  readonly #ride: <T>(fn: () => T, maxWaitMs: number) => Promise<T>;

  /**
   * @param db the store database, "tenancy" schema applied
   * @param write runs a job in the store's group commit
   * @param ride runs a job in the next group commit other writes start (or its own after `maxWaitMs`)
   */
  constructor(
    db: Database,
    write: <T>(fn: () => T) => Promise<T>,
    ride: <T>(fn: () => T, maxWaitMs: number) => Promise<T> = (fn) => write(fn),
  ) {
    super(new SqliteRecordDb(db, write));
    this.#db = db;
    this.#write = write;
    this.#ride = ride;
  }

  /** Adds deltas in the group commit; riding another commit with `shareCommitMs`. */
  override add(deltas: UsageDelta[], opts: { shareCommitMs?: number } = {}): Promise<void> {
    if (deltas.length === 0) return Promise.resolve();
    const job = () => runSync(this.#db, addUsage(deltas));
    // Riding: no commit (and fsync) of its own while deliveries are being committed anyway.
    return opts.shareCommitMs === undefined ? this.#write(job) : this.#ride(job, opts.shareCommitMs);
  }
}
