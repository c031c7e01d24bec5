/**
 * The retry schedule: exponential backoff from `base` seconds, doubled per failed attempt, capped
 * at `max` (seed default 60 s, 120 s, 240 s, 480 s, 960 s, … capped at one hour). Pure.
 *
 * @module
 */

/** Backoff parameters in seconds. */
export interface RetrySchedule {
  base: number;
  max: number;
}

/**
 * Delay in milliseconds before the next attempt after `attempts` failed attempts (1 = after the
 * first failure).
 *
 * @example
 * ```ts
 * import { retryDelayMs } from "./retry.ts";
 * retryDelayMs({ base: 60, max: 3600 }, 3); // 240_000
 * ```
 */
export function retryDelayMs(schedule: RetrySchedule, attempts: number): number {
  const n = Math.max(1, Math.trunc(attempts));
  // 2 ** 30 seconds is far above any sensible cap; avoids Infinity for huge attempt counts.
  const factor = 2 ** Math.min(n - 1, 30);
  return Math.min(schedule.base * factor, schedule.max) * 1000;
}
