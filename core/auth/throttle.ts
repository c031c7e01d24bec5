/**
 * Failed-attempt throttling per client IP and per account, built on a `RateLimiter`.
 *
 * Each key (the client's IP, IPv6 by /64; the lowercased login name) has a failure counter: a token
 * bucket of `lockout_failures` units that refills completely in `lockout_seconds`, so old failures
 * are forgiven gradually. The first `throttle_free_failures` failures cost nothing more; every further
 * one blocks the key for `throttle_base_delay_ms`, doubled per failure; the `lockout_failures`-th
 * blocks it for `lockout_seconds`. An attempt on a blocked key is refused at once with the time left:
 * nothing here sleeps, protocols decide whether to delay their reply.
 *
 * A success resets the account's counter, not the IP's: a guesser holding one valid account cannot
 * clear its IP's record by logging in to it.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import { systemClock } from "../clock.ts";
import type { Config } from "../config/types.ts";
import { createMemoryRateLimiter, type RateLimiter } from "../policy/rate_limiter.ts";
import { addressKey } from "../syntax/address_key.ts";

/** A throttled attempt (shaped like the failed `AuthResult`). */
export interface Throttled {
  ok: false;
  reason: "throttled";
  /** Milliseconds until the IP and the account may try again. */
  retryAfterMs: number;
}

/** Throttling of failed authentication attempts. */
export interface AuthThrottle {
  /** Null when an attempt may proceed, else the refusal (nothing is counted). */
  check(remoteAddress: string, username: string): Promise<Throttled | null>;
  /** Counts a failed attempt against the IP and the account. */
  recordFailure(remoteAddress: string, username: string): Promise<void>;
  /** Clears the account's record after a successful login. */
  recordSuccess(remoteAddress: string, username: string): Promise<void>;
}

/** Options of `createAuthThrottle`. */
export interface AuthThrottleOptions {
  clock?: Clock;
  /**
   * Limiter holding the counters (shared backends). It must be configured with
   * `limit: lockout_failures` and `windowMs: lockout_seconds * 1000`. Default: in memory.
   */
  limiter?: RateLimiter;
  /** Keys kept by the default in-memory limiter. Default 100000. */
  maxKeys?: number;
}

/** Creates the throttle from the `auth` section of the configuration. */
export function createAuthThrottle(auth: Config["auth"], options: AuthThrottleOptions = {}): AuthThrottle {
  const free = auth.throttle_free_failures;
  const baseDelayMs = auth.throttle_base_delay_ms;
  const lockoutFailures = auth.lockout_failures;
  const lockoutMs = auth.lockout_seconds * 1000;
  if (!Number.isInteger(lockoutFailures) || lockoutFailures < 1) {
    throw new RangeError(`auth.lockout_failures must be a positive integer: ${lockoutFailures}`);
  }
  if (!(lockoutMs > 0)) {
    throw new RangeError(`auth.lockout_seconds must be positive: ${auth.lockout_seconds}`);
  }
  if (!(free >= 0) || !(baseDelayMs >= 0)) {
    throw new RangeError(`auth.throttle_free_failures and throttle_base_delay_ms must not be negative`);
  }
  const limiter = options.limiter ?? createMemoryRateLimiter({
    limit: lockoutFailures,
    windowMs: lockoutMs,
    maxKeys: options.maxKeys ?? 100_000,
    clock: options.clock ?? systemClock,
  });
  const keys = (remoteAddress: string, username: string): [string, string] => [
    `ip:${addressKey(remoteAddress)}`,
    `user:${username.toLowerCase()}`,
  ];

  const fail = async (key: string): Promise<void> => {
    const counted = await limiter.consume(key);
    const failures = lockoutFailures - counted.remaining;
    if (!counted.allowed || counted.remaining === 0) {
      await limiter.block(key, lockoutMs);
    } else if (failures > free && baseDelayMs > 0) {
      const delay = baseDelayMs * 2 ** (failures - free - 1);
      await limiter.block(key, Math.min(delay, lockoutMs));
    }
  };

  return {
    async check(remoteAddress, username) {
      let retryAfterMs = 0;
      for (const key of keys(remoteAddress, username)) {
        const state = await limiter.inspect(key);
        if (!state.allowed) retryAfterMs = Math.max(retryAfterMs, state.retryAfterMs);
      }
      return retryAfterMs > 0 ? { ok: false, reason: "throttled", retryAfterMs } : null;
    },
    async recordFailure(remoteAddress, username) {
      for (const key of keys(remoteAddress, username)) await fail(key);
    },
    async recordSuccess(remoteAddress, username) {
      await limiter.reset(keys(remoteAddress, username)[1]);
    },
  };
}
