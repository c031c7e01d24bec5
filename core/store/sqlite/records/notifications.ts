/**
 * SQLite implementation of `NotificationStore` (component "notifications", table
 * `notifications_sent`).
 *
 * @module
 */
import type { NotificationStore } from "../../records/notifications.ts";
import type { Database } from "../database.ts";

/** Applies the "notifications" migrations. */
export function migrateNotifications(db: Database): void {
  db.applyMigrations("notifications", [{
    version: 1,
    sql: `CREATE TABLE notifications_sent (
      key TEXT PRIMARY KEY,
      last_sent INTEGER NOT NULL
    ) STRICT;`,
  }]);
}

/** Sent notifications in the store database. */
export class SqliteNotificationStore implements NotificationStore {
  readonly #db: Database;

  /** @param db the store database, "notifications" schema applied */
  constructor(db: Database) {
    this.#db = db;
  }

  claim(key: string, now: Date, since: Date): Promise<boolean> {
    return Promise.resolve(this.#db.transaction(() => {
      const row = this.#db.get<{ last_sent: number }>(
        "SELECT last_sent FROM notifications_sent WHERE key = ?",
        key,
      );
      if (row && row.last_sent >= since.getTime()) return false;
      this.#db.run(
        "INSERT INTO notifications_sent (key, last_sent) VALUES (?, ?) " +
          "ON CONFLICT (key) DO UPDATE SET last_sent = excluded.last_sent",
        key,
        now.getTime(),
      );
      return true;
    }));
  }

  release(key: string): Promise<void> {
    this.#db.transaction(() => this.#db.run("DELETE FROM notifications_sent WHERE key = ?", key));
    return Promise.resolve();
  }

  prune(before: Date): Promise<number> {
    return Promise.resolve(
      this.#db.transaction(() =>
        Number(this.#db.run("DELETE FROM notifications_sent WHERE last_sent < ?", before.getTime()).changes)
      ),
    );
  }
}
