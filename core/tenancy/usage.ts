/**
 * The usage counter (issue 16): counts received and sent messages and API calls per organization
 * and UTC day, exactly and off the delivery path. An event is an in-memory increment (no await, so
 * concurrent sessions cannot lose one); increments are handed to `Store.usage` in batches, `flushMs`
 * after the first one, as one atomic `n = n + ?` write that waits (up to `flushMs` more) for the next
 * group commit the deliveries start, so counting costs no commit or fsync of its own under load. Reads (the policy's limits, `tern usage`) see stored
 * counts plus those not written yet.
 *
 * This process is the only one counting (the CLI only reads), so a period's total is loaded once
 * and then kept up to date in memory: a limit check costs no query.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { UsageCounts, UsageDelta } from "../store/records/usage.ts";
import type { Store } from "../store/store.ts";
import { monthDays, utcDay } from "./periods.ts";

/** Counts of a day and of its month. */
export interface PeriodUsage {
  day: UsageCounts;
  month: UsageCounts;
}

/** A UTC day in ms (no leap seconds in JavaScript time). */
const DAY_MS = 86_400_000;

const zero = (): UsageCounts => ({ received: 0, sent: 0, apiCalls: 0 });

function addTo(into: UsageCounts, c: Partial<UsageCounts>): void {
  into.received += c.received ?? 0;
  into.sent += c.sent ?? 0;
  into.apiCalls += c.apiCalls ?? 0;
}

/** Batched, exact usage counting over a store. */
export class UsageCounter {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #flushMs: number;
  /** Not yet handed to the store: `org|day` → counts. */
  #pending = new Map<string, UsageCounts>();
  /** Handed to the store, write not settled yet. */
  #inflight = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #flushing: Promise<void> = Promise.resolve();
  /** Loaded totals kept current: `org|YYYY-MM-DD` and `org|YYYY-MM`. */
  readonly #totals = new Map<string, UsageCounts>();
  #totalsDay = "";
  /** `#today()`'s day and the instant it starts at (ms). */
  #day = "";
  #dayFrom = Infinity;

  /**
   * @param store where counts are kept
   * @param clock the clock of record (the period of each event)
   * @param log for failed writes
   * @param flushMs longest delay between an event and its write (default 50 ms)
   */
  constructor(store: Store, clock: Clock, log: Logger, flushMs = 50) {
    this.#store = store;
    this.#clock = clock;
    this.#log = log;
    this.#flushMs = flushMs;
  }

  /** Counts events of an organization now. */
  add(orgId: string, counts: Partial<UsageCounts>): void {
    const day = this.#today();
    const key = `${orgId}|${day}`;
    let p = this.#pending.get(key);
    if (!p) this.#pending.set(key, p = zero());
    addTo(p, counts);
    this.#rollover(day);
    const d = this.#totals.get(key);
    if (d) addTo(d, counts);
    const m = this.#totals.get(`${orgId}|${day.slice(0, 7)}`);
    if (m) addTo(m, counts);
    if (this.#timer === null) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        void this.#write(this.#flushMs);
      }, this.#flushMs);
      // Never what keeps a process alive: the server writes what is pending when it stops.
      Deno.unrefTimer(this.#timer);
    }
  }

  /** The UTC day now, formatted once per day (not once per event). */
  #today(): string {
    const ms = this.#clock.now().getTime();
    if (ms < this.#dayFrom || ms >= this.#dayFrom + DAY_MS) {
      this.#dayFrom = ms - (ms % DAY_MS);
      this.#day = utcDay(new Date(ms));
    }
    return this.#day;
  }

  /** Writes what is pending; resolves when it (and any earlier write) is durable. */
  flush(): Promise<void> {
    return this.#write();
  }

  /**
   * Hands what is pending to the store. `shareCommitMs` (the timed writes): it waits up to that long
   * for a commit that deliveries start, so counting adds no commit (and fsync) of its own under load.
   */
  #write(shareCommitMs?: number): Promise<void> {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#pending.size === 0) return this.#flushing;
    const deltas: UsageDelta[] = [...this.#pending].map(([key, counts]) => {
      const [orgId, day] = key.split("|") as [string, string];
      return { orgId, day, counts };
    });
    this.#pending = new Map();
    this.#inflight++;
    const opts = shareCommitMs === undefined ? undefined : { shareCommitMs };
    const write = this.#store.usage.add(deltas, opts).catch((e) => {
      // Not lost: back to pending for the next write.
      this.#log.error("usage write failed", { error: e instanceof Error ? e.message : String(e) });
      for (const d of deltas) {
        const key = `${d.orgId}|${d.day}`;
        let p = this.#pending.get(key);
        if (!p) this.#pending.set(key, p = zero());
        addTo(p, d.counts);
      }
    }).finally(() => this.#inflight--);
    this.#flushing = Promise.all([this.#flushing, write]).then(() => {});
    return this.#flushing;
  }

  /** Usage of an organization today and this month (UTC), counting what is not written yet. */
  async current(orgId: string): Promise<PeriodUsage> {
    const day = this.#today();
    const month = day.slice(0, 7);
    this.#rollover(day);
    const dayKey = `${orgId}|${day}`;
    const monthKey = `${orgId}|${month}`;
    // Loaded totals (the usual case, one per RCPT with a receive limit): no await, no month parsing.
    const d = this.#totals.get(dayKey) ?? await this.#total(dayKey, orgId, day, day);
    const m = this.#totals.get(monthKey) ??
      await this.#total(monthKey, orgId, monthDays(month)!.from, monthDays(month)!.to);
    return { day: { ...d }, month: { ...m } };
  }

  async #total(key: string, orgId: string, from: string, to: string): Promise<UsageCounts> {
    const cached = this.#totals.get(key);
    if (cached) return cached;
    const stored = await this.#store.usage.sum(orgId, from, to);
    const again = this.#totals.get(key);
    if (again) return again;
    const total = { ...stored };
    for (const [k, c] of this.#pending) {
      const [o, d] = k.split("|") as [string, string];
      if (o === orgId && d >= from && d <= to) addTo(total, c);
    }
    // Kept (and then updated in memory) only when no write is under way, so no count is taken twice.
    if (this.#inflight === 0) this.#totals.set(key, total);
    return total;
  }

  /** A new day: totals of past days are dropped (months stay until theirs ends). */
  #rollover(day: string): void {
    if (day === this.#totalsDay) return;
    this.#totalsDay = day;
    const month = day.slice(0, 7);
    for (const k of this.#totals.keys()) {
      const period = k.slice(k.indexOf("|") + 1);
      if (period !== day && period !== month) this.#totals.delete(k);
    }
  }
}
