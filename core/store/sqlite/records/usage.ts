/**
 * SQLite implementation of `UsageStore` (component "tenancy", table `org_usage`: one row per
 * organization and UTC day). Increments are `n = n + ?` upserts run through the store's group
 * commit, so they share the commit (and its fsync) of whatever else is being written; with
 * `shareCommitMs` they wait for such a commit instead of starting one.
 *
 * @module
 */
import type { UsageCounts, UsageDelta, UsageStore } from "../../records/usage.ts";
import type { Database } from "../database.ts";

interface SumRow {
  org_id: string;
  received: number;
  sent: number;
  api_calls: number;
}

const toCounts = (r: SumRow | undefined): UsageCounts => ({
  received: r?.received ?? 0,
  sent: r?.sent ?? 0,
  apiCalls: r?.api_calls ?? 0,
});

/** Usage counters in the store database. */
export class SqliteUsageStore implements UsageStore {
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
    this.#db = db;
    this.#write = write;
    this.#ride = ride;
  }

  add(deltas: UsageDelta[], opts: { shareCommitMs?: number } = {}): Promise<void> {
    if (deltas.length === 0) return Promise.resolve();
    const job = () => {
      for (const d of deltas) {
        this.#db.run(
          "INSERT INTO org_usage (org_id, day, received, sent, api_calls) VALUES (?, ?, ?, ?, ?) " +
            "ON CONFLICT(org_id, day) DO UPDATE SET received = received + excluded.received, " +
            "sent = sent + excluded.sent, api_calls = api_calls + excluded.api_calls",
          d.orgId,
          d.day,
          d.counts.received ?? 0,
          d.counts.sent ?? 0,
          d.counts.apiCalls ?? 0,
        );
      }
    };
    // Riding: no commit (and fsync) of its own while deliveries are being committed anyway.
    return opts.shareCommitMs === undefined ? this.#write(job) : this.#ride(job, opts.shareCommitMs);
  }

  sum(orgId: string, fromDay: string, toDay: string): Promise<UsageCounts> {
    return Promise.resolve(toCounts(this.#db.get<SumRow>(
      "SELECT org_id, coalesce(sum(received), 0) AS received, coalesce(sum(sent), 0) AS sent, " +
        "coalesce(sum(api_calls), 0) AS api_calls FROM org_usage WHERE org_id = ? AND day BETWEEN ? AND ?",
      orgId,
      fromDay,
      toDay,
    )));
  }

  sumAll(fromDay: string, toDay: string): Promise<{ orgId: string; counts: UsageCounts }[]> {
    return Promise.resolve(
      this.#db.all<SumRow>(
        "SELECT org_id, sum(received) AS received, sum(sent) AS sent, sum(api_calls) AS api_calls " +
          "FROM org_usage WHERE day BETWEEN ? AND ? GROUP BY org_id ORDER BY org_id",
        fromDay,
        toDay,
      ).map((r) => ({ orgId: r.org_id, counts: toCounts(r) })),
    );
  }
}
