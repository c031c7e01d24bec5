/**
 * `UsageStore` (issue 16) in SQL, shared by SQLite and PostgreSQL (table `org_usage`: one row per
 * organization and UTC day; each backend keeps its schema). Increments are `n = n + ?` upserts, so
 * concurrent adds all count.
 *
 * @module
 */
import type { UsageCounts, UsageDelta, UsageStore } from "../usage.ts";
import { all, get, type Op, type RecordDb, run } from "./db.ts";

interface SumRow {
  org_id: string;
  received: number;
  sent: number;
  api_calls: number;
}

const toCounts = (r: SumRow | undefined): UsageCounts => ({
  received: Number(r?.received ?? 0),
  sent: Number(r?.sent ?? 0),
  apiCalls: Number(r?.api_calls ?? 0),
});

/** Adds usage deltas, one upsert each. */
export function* addUsage(deltas: UsageDelta[]): Op<void> {
  for (const d of deltas) {
    yield* run(
      "INSERT INTO org_usage (org_id, day, received, sent, api_calls) VALUES (?, ?, ?, ?, ?) " +
        "ON CONFLICT (org_id, day) DO UPDATE SET received = org_usage.received + excluded.received, " +
        "sent = org_usage.sent + excluded.sent, api_calls = org_usage.api_calls + excluded.api_calls",
      d.orgId,
      d.day,
      d.counts.received ?? 0,
      d.counts.sent ?? 0,
      d.counts.apiCalls ?? 0,
    );
  }
}

/** Usage counters per organization and day over either backend. */
export class SqlUsageStore implements UsageStore {
  /** @param db the backend, its "tenancy" schema applied */
  constructor(protected readonly db: RecordDb) {}

  /** Adds deltas (concurrent adds all count: one upsert each). */
  async add(deltas: UsageDelta[], _opts: { shareCommitMs?: number } = {}): Promise<void> {
    if (deltas.length === 0) return;
    await this.db.atomic(addUsage(deltas));
  }

  /** An organization's counts over days [fromDay, toDay]. */
  async sum(orgId: string, fromDay: string, toDay: string): Promise<UsageCounts> {
    return toCounts(
      await this.db.read(get<SumRow>(
        "SELECT org_id, CAST(coalesce(sum(received), 0) AS BIGINT) AS received, " +
          "CAST(coalesce(sum(sent), 0) AS BIGINT) AS sent, CAST(coalesce(sum(api_calls), 0) AS BIGINT) AS api_calls " +
          "FROM org_usage WHERE org_id = ? AND day BETWEEN ? AND ? GROUP BY org_id",
        orgId,
        fromDay,
        toDay,
      )),
    );
  }

  /** Every organization's counts over days [fromDay, toDay], by organization. */
  async sumAll(fromDay: string, toDay: string): Promise<{ orgId: string; counts: UsageCounts }[]> {
    return (await this.db.read(all<SumRow>(
      "SELECT org_id, CAST(sum(received) AS BIGINT) AS received, CAST(sum(sent) AS BIGINT) AS sent, " +
        "CAST(sum(api_calls) AS BIGINT) AS api_calls FROM org_usage WHERE day BETWEEN ? AND ? " +
        `GROUP BY org_id ORDER BY org_id${this.db.dialect.bytes}`,
      fromDay,
      toDay,
    ))).map((r) => ({ orgId: r.org_id, counts: toCounts(r) }));
  }
}
