/**
 * Platform-wide counters per UTC day (`Store.dailyCounters`): recipients delivered locally,
 * delivered by the outbound queue, deferred, and bounced (failed for good). The counts come from
 * the sources of record, the delivery pipeline's metrics hook and the queue's own counters
 * (core/metrics `deliveryTotals`), and are written as deltas in one small write per interval (in
 * the store's group commit) and at stop, never one write per delivery. What was counted since the
 * last write is credited to the day of the write, and `pending()` lets readers add it in.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { Store } from "../store/store.ts";
import type { DeliveryTotals } from "../metrics/registry.ts";
import type { DailyCount } from "../store/records/daily_counters.ts";

/** The counter names, as stored. */
export const DAILY_NAMES = {
  localDelivered: "delivered_local",
  remoteDelivered: "delivered_remote",
  remoteDeferred: "deferred",
  remoteFailed: "bounced",
} as const satisfies Record<keyof DeliveryTotals, string>;

/** Default seconds between writes. */
export const DAILY_FLUSH_SECONDS = 60;

/** The UTC day of a time, `YYYY-MM-DD`. */
export function utcDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Writes the delivery counts of one server per day. */
export class DailyCounters {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #totals: () => DeliveryTotals;
  readonly #intervalMs: number;
  #written: DeliveryTotals;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #flushing: Promise<void> = Promise.resolve();
  #stopped = false;

  /**
   * @param deps the store, the clock, a logger and the cumulative totals to follow
   * @param intervalSeconds seconds between writes
   */
  constructor(
    deps: { store: Store; clock: Clock; log: Logger; totals: () => DeliveryTotals },
    intervalSeconds = DAILY_FLUSH_SECONDS,
  ) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#log = deps.log;
    this.#totals = deps.totals;
    this.#intervalMs = intervalSeconds * 1000;
    this.#written = { ...deps.totals() };
  }

  /** Counts since the last write, as today's increments (zeros left out). */
  pending(): DailyCount[] {
    const now = this.#totals();
    const day = utcDay(this.#clock.now());
    const out: DailyCount[] = [];
    for (const key of Object.keys(DAILY_NAMES) as (keyof DeliveryTotals)[]) {
      const value = now[key] - this.#written[key];
      if (value !== 0) out.push({ day, name: DAILY_NAMES[key], value });
    }
    return out;
  }

  /** Writes what was counted since the last write; writes never overlap. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(async () => {
      const totals = { ...this.#totals() };
      const increments = this.pending();
      if (increments.length === 0) return;
      await this.#store.dailyCounters.add(increments);
      this.#written = totals;
    }).catch((err) => {
      this.#log.error("writing the daily counters failed", { error: (err as Error)?.message ?? String(err) });
    });
    return this.#flushing;
  }

  /** Writes every interval until `stop`. */
  start(): void {
    if (this.#stopped || this.#timer !== null) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.flush().finally(() => this.start());
    }, this.#intervalMs);
  }

  /** Stops the timer and writes what is left. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.flush();
  }
}
