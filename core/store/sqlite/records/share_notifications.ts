/**
 * SQLite implementation of `ShareNotificationStore` (component "share_notifications"); the
 * statements are the shared ones (core/store/records/sql/share_notifications.ts).
 *
 * @module
 */
import { SqlShareNotificationStore } from "../../records/sql/share_notifications.ts";
import type { Database } from "../database.ts";
import { SqliteRecordDb } from "./db.ts";

/** Applies the "share_notifications" migrations. */
export function migrateShareNotifications(db: Database): void {
  db.applyMigrations("share_notifications", [{
    version: 1,
    sql: `CREATE TABLE share_notifications (
      seq INTEGER PRIMARY KEY,
      account_id TEXT NOT NULL,
      created INTEGER NOT NULL,
      changed_by_name TEXT NOT NULL,
      changed_by_email TEXT,
      changed_by_id TEXT,
      object_type TEXT NOT NULL,
      object_account_id TEXT NOT NULL,
      object_id TEXT NOT NULL,
      old_rights TEXT NOT NULL,
      new_rights TEXT NOT NULL,
      name TEXT NOT NULL,
      destroyed_seq INTEGER
    ) STRICT;
    CREATE INDEX share_notifications_account ON share_notifications (account_id, seq);`,
  }]);
}

/** The next number of the one sequence, inside a write transaction. */
const NEXT_SEQ =
  "(SELECT coalesce(max(max(seq, coalesce(destroyed_seq, 0))), 0) + 1 FROM share_notifications)";

/** Share notifications in the store database. */
export class SqliteShareNotificationStore extends SqlShareNotificationStore {
  /** @param db the store database, "share_notifications" schema applied */
  constructor(db: Database) {
    super(new SqliteRecordDb(db), NEXT_SEQ);
  }
}
