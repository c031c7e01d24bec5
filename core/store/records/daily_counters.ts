/**
 * Platform-wide counters per UTC day (`Store.dailyCounters`): deliveries and bounces for
 * `GET /api/v1/admin/stats` (core/stats). Increments are atomic in the backend (`n = n + ?`).
 *
 * @module
 */

/** One counter of one day. */
export interface DailyCount {
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  /** Counter name, e.g. `delivered_local`, `delivered_remote`, `bounced`. */
  name: string;
  value: number;
}

/** Daily counters of the store. */
export interface DailyCounterStore {
  /** Adds every increment in one atomic write. */
  add(increments: DailyCount[]): Promise<void>;
  /** Counters of the days in [fromDay, toDay] (inclusive), ordered by day then name. */
  list(fromDay: string, toDay: string): Promise<DailyCount[]>;
}
