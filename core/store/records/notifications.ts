/**
 * Notification records (`Store.notifications`, core/notify): when each notification cause was last
 * sent, so a cause (e.g. "quota 80 % for bob@") is sent once per window even across restarts.
 *
 * @module
 */

/** Sent-notification bookkeeping. */
export interface NotificationStore {
  /**
   * Claims a cause key atomically: true (and `now` recorded as its last sending) when it was not
   * sent at or after `since`; false when it was (a duplicate within the window).
   */
  claim(key: string, now: Date, since: Date): Promise<boolean>;
  /** Forgets a cause (e.g. quota back under the threshold), so the next crossing is sent again. */
  release(key: string): Promise<void>;
  /** Removes keys last sent before `before`; returns how many. */
  prune(before: Date): Promise<number>;
}
