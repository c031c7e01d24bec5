/**
 * `NotificationStore` in SQL, shared by SQLite and PostgreSQL (table `notifications_sent`; each
 * backend keeps its schema): one notice per cause and window.
 *
 * @module
 */
import type { NotificationStore } from "../notifications.ts";
import { get, type RecordDb, run } from "./db.ts";

/** Notification claims over either backend. */
export class SqlNotificationStore implements NotificationStore {
  /** @param db the backend, its notifications schema applied */
  constructor(protected readonly db: RecordDb) {}

  /** Claims a cause unless it was claimed at or after `since` (one statement: exactly one claimer wins). */
  async claim(key: string, now: Date, since: Date): Promise<boolean> {
    const row = await this.db.atomic(get(
      "INSERT INTO notifications_sent (key, last_sent) VALUES (?, ?) " +
        "ON CONFLICT (key) DO UPDATE SET last_sent = excluded.last_sent WHERE notifications_sent.last_sent < ? " +
        "RETURNING key",
      key,
      now.getTime(),
      since.getTime(),
    ));
    return row !== undefined;
  }

  /** Forgets a claim. */
  async release(key: string): Promise<void> {
    await this.db.write(run("DELETE FROM notifications_sent WHERE key = ?", key));
  }

  /** Drops claims older than `before`; returns how many. */
  prune(before: Date): Promise<number> {
    return this.db.write(run("DELETE FROM notifications_sent WHERE last_sent < ?", before.getTime()));
  }
}
