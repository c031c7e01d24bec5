/**
 * Usage counters per organization and UTC day (issue 16) behind `Store.usage`. Months are the sum
 * of their days. Increments are atomic in the backend (`n = n + ?`), so concurrent writers lose
 * nothing; core/tenancy/usage.ts batches them off the delivery path, into the deliveries' own commits.
 *
 * @module
 */

/** Counted events. */
export interface UsageCounts {
  received: number;
  sent: number;
  apiCalls: number;
}

/** One increment: an organization, a UTC day (`YYYY-MM-DD`) and what to add. */
export interface UsageDelta {
  orgId: string;
  day: string;
  counts: Partial<UsageCounts>;
}

/** Usage counters of the store. */
export interface UsageStore {
  /**
   * Adds every delta in one atomic write. `shareCommitMs`: the write may wait up to that long for a
   * commit that other writes start rather than start one (a backend without group commit ignores it).
   */
  add(deltas: UsageDelta[], opts?: { shareCommitMs?: number }): Promise<void>;
  /** Sum of one organization's days in [fromDay, toDay] (inclusive, `YYYY-MM-DD`). */
  sum(orgId: string, fromDay: string, toDay: string): Promise<UsageCounts>;
  /** Sums of every organization with usage in [fromDay, toDay], ordered by organization. */
  sumAll(fromDay: string, toDay: string): Promise<{ orgId: string; counts: UsageCounts }[]>;
}
