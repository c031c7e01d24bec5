/**
 * The health-check history (`Store.healthChecks`): one record per periodic check of every component
 * (core/health), kept for `[health] history_days` and read by `GET /api/v1/admin/health/history`.
 *
 * @module
 */

/** A component's or the whole server's state: degraded still serves, down does not. */
export type HealthStatus = "healthy" | "degraded" | "down";

/** One component's result in a check. */
export interface ComponentResult {
  /** `store`, `blobs`, `queue`, `disk`, `certificates`, `dns`, … */
  name: string;
  status: HealthStatus;
  /** How long the check took, in milliseconds. */
  responseMs: number;
  /** A short human-readable explanation (never a secret). */
  detail: string;
}

/** One run of every check. */
export interface HealthCheckRecord {
  checkedAt: Date;
  /** The worst of the components'. */
  status: HealthStatus;
  components: ComponentResult[];
}

/** Kept health checks. */
export interface HealthCheckStore {
  /** Adds one check. */
  add(record: HealthCheckRecord): Promise<void>;
  /** Checks at or after `since` (all when absent), newest first, at most `limit`. */
  list(opts: { since?: Date; limit: number }): Promise<HealthCheckRecord[]>;
  /** Removes checks older than `before`; returns how many. */
  prune(before: Date): Promise<number>;
}
