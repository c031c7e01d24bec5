/**
 * The clock of record. Everything that reads the time takes a `Clock`, so tests can inject a fixed
 * or stepping one. Its own module so that any layer may depend on it without depending on the
 * server context.
 *
 * @module
 */

/** The clock of record; injectable for tests. */
export interface Clock {
  now(): Date;
}

/** The system clock. */
export const systemClock: Clock = { now: () => new Date() };
