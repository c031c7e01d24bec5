/**
 * Rate limiting by key (an IP address, an account, an IP+sender pair): the `RateLimiter` interface
 * and its in-memory token-bucket implementation. Used by the authentication throttle (failed
 * logins) and by the connection policy (connections per minute, auth-failure bans).
 *
 * The interface is asynchronous so that a shared backend (Redis) can implement it later.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import { systemClock } from "../clock.ts";

/** Outcome of `consume` or `inspect`. */
export interface RateLimitResult {
  /** True when the consumption was (or, for `inspect`, would be) accepted. */
  allowed: boolean;
  /** Whole units left after this call (0 when refused). */
  remaining: number;
  /** When refused: milliseconds until a consumption of the same cost could succeed; else 0. */
  retryAfterMs: number;
}

/** A rate limiter: each key may consume `limit` units per window. */
export interface RateLimiter {
  /**
   * Takes `cost` units (default 1) from `key`. Refused, with nothing taken, when the key is blocked
   * or has fewer than `cost` units left.
   */
  consume(key: string, cost?: number): Promise<RateLimitResult>;
  /** What `consume(key, cost)` would return, without taking anything. */
  inspect(key: string, cost?: number): Promise<RateLimitResult>;
  /** Refuses every consumption of `key` for `ms` milliseconds (never shortens a longer block). */
  block(key: string, ms: number): Promise<void>;
  /** Forgets `key`: full allowance, no block. */
  reset(key: string): Promise<void>;
}

/** Options of `createMemoryRateLimiter`. */
export interface MemoryRateLimiterOptions {
  /** Units a key may consume in a burst (bucket capacity); at least 1. */
  limit: number;
  /** Time in ms for an empty bucket to refill completely (`limit` units per `windowMs`). */
  windowMs: number;
  /** Most keys kept in memory; beyond it the least recently used keys are evicted. Default 10000. */
  maxKeys?: number;
  /** Clock of record (tests inject one). */
  clock?: Clock;
}

/** A `RateLimiter` that also reports how many keys it holds (tests and metrics). */
export interface MemoryRateLimiter extends RateLimiter {
  /** Number of keys currently held. */
  readonly size: number;
}

interface Bucket {
  /** Units available at `updatedAt` (fractional while refilling). */
  tokens: number;
  /** Epoch ms of the last refill computation. */
  updatedAt: number;
  /** Epoch ms until which the key is blocked (0 = not blocked). */
  blockedUntil: number;
}

/** Oldest entries examined for an idle (full, unblocked) key before the least recently used one goes. */
const EVICTION_SCAN = 64;

/**
 * Creates an in-memory token-bucket rate limiter. A key starts with `limit` units and regains them
 * continuously at `limit / windowMs` per ms. Memory is bounded by `maxKeys`: keys are kept in
 * least-recently-used order and evicted from the old end, idle ones (a full bucket, no block,
 * equivalent to an unknown key) first.
 *
 * @example
 * ```ts
 * const limiter = createMemoryRateLimiter({ limit: 2, windowMs: 60_000 });
 * await limiter.consume("192.0.2.1"); // { allowed: true, remaining: 1, retryAfterMs: 0 }
 * ```
 */
export function createMemoryRateLimiter(options: MemoryRateLimiterOptions): MemoryRateLimiter {
  const limit = options.limit;
  const windowMs = options.windowMs;
  if (!Number.isFinite(limit) || limit < 1) {
    throw new RangeError(`Rate limit must be at least 1: ${limit}`);
  }
  if (!Number.isFinite(windowMs) || windowMs <= 0) {
    throw new RangeError(`Rate limit window must be positive: ${windowMs}`);
  }
  const maxKeys = options.maxKeys ?? 10_000;
  if (!Number.isInteger(maxKeys) || maxKeys < 1) {
    throw new RangeError(`Rate limiter maxKeys must be a positive integer: ${maxKeys}`);
  }
  const clock = options.clock ?? systemClock;
  const ratePerMs = limit / windowMs;
  // Map iteration order is insertion order: re-inserting on every touch makes it an LRU list.
  const buckets = new Map<string, Bucket>();

  const refilled = (bucket: Bucket, now: number): Bucket => {
    const elapsed = Math.max(0, now - bucket.updatedAt);
    return {
      tokens: Math.min(limit, bucket.tokens + elapsed * ratePerMs),
      updatedAt: Math.max(now, bucket.updatedAt),
      blockedUntil: bucket.blockedUntil > now ? bucket.blockedUntil : 0,
    };
  };

  const isIdle = (bucket: Bucket, now: number): boolean => {
    const b = refilled(bucket, now);
    return b.blockedUntil === 0 && b.tokens >= limit;
  };

  const current = (key: string, now: number): Bucket => {
    const stored = buckets.get(key);
    return stored ? refilled(stored, now) : { tokens: limit, updatedAt: now, blockedUntil: 0 };
  };

  const store = (key: string, bucket: Bucket, now: number): void => {
    buckets.delete(key);
    if (bucket.blockedUntil === 0 && bucket.tokens >= limit) return; // same as an unknown key
    if (buckets.size >= maxKeys) evict(now);
    buckets.set(key, bucket);
  };

  const evict = (now: number): void => {
    let scanned = 0;
    for (const [key, bucket] of buckets) {
      if (scanned++ >= EVICTION_SCAN || buckets.size < maxKeys) break;
      if (isIdle(bucket, now)) buckets.delete(key);
    }
    while (buckets.size >= maxKeys) {
      const oldest = buckets.keys().next();
      if (oldest.done) break;
      buckets.delete(oldest.value);
    }
  };

  const evaluate = (bucket: Bucket, cost: number, now: number): RateLimitResult => {
    if (bucket.blockedUntil > now) {
      return { allowed: false, remaining: 0, retryAfterMs: bucket.blockedUntil - now };
    }
    if (cost > limit) {
      return { allowed: false, remaining: Math.floor(bucket.tokens), retryAfterMs: Number.POSITIVE_INFINITY };
    }
    if (bucket.tokens >= cost) {
      return { allowed: true, remaining: Math.floor(bucket.tokens - cost), retryAfterMs: 0 };
    }
    return {
      allowed: false,
      remaining: Math.floor(bucket.tokens),
      retryAfterMs: Math.ceil((cost - bucket.tokens) / ratePerMs),
    };
  };

  const checkCost = (cost: number): void => {
    if (!Number.isFinite(cost) || cost < 0) {
      throw new RangeError(`Rate limit cost must be non-negative: ${cost}`);
    }
  };

  return {
    get size() {
      return buckets.size;
    },
    consume(key: string, cost = 1): Promise<RateLimitResult> {
      checkCost(cost);
      const now = clock.now().getTime();
      const bucket = current(key, now);
      const result = evaluate(bucket, cost, now);
      if (result.allowed) bucket.tokens -= cost;
      store(key, bucket, now);
      return Promise.resolve(result);
    },
    inspect(key: string, cost = 1): Promise<RateLimitResult> {
      checkCost(cost);
      const now = clock.now().getTime();
      return Promise.resolve(evaluate(current(key, now), cost, now));
    },
    block(key: string, ms: number): Promise<void> {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`Block duration must be non-negative: ${ms}`);
      const now = clock.now().getTime();
      const bucket = current(key, now);
      bucket.blockedUntil = Math.max(bucket.blockedUntil, now + ms);
      if (bucket.blockedUntil <= now) bucket.blockedUntil = 0;
      store(key, bucket, now);
      return Promise.resolve();
    },
    reset(key: string): Promise<void> {
      buckets.delete(key);
      return Promise.resolve();
    },
  };
}
