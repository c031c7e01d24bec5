/**
 * SQLite implementation of `SubscriptionStore` (component "imap_subscriptions", table
 * `imap_subscriptions`); the statements are the shared ones (core/store/records/sql/subscriptions.ts).
 *
 * @module
 */
import { SqlSubscriptionStore } from "../../records/sql/subscriptions.ts";
import type { Database } from "../database.ts";
import { SqliteRecordDb } from "./db.ts";

/** Applies the "imap_subscriptions" migrations. */
export function migrateSubscriptions(db: Database): void {
  db.applyMigrations("imap_subscriptions", [{
    version: 1,
    sql: `CREATE TABLE imap_subscriptions (
      account_id TEXT NOT NULL,
      name TEXT NOT NULL,
      PRIMARY KEY (account_id, name)
    ) STRICT, WITHOUT ROWID;`,
  }]);
}

/** Subscriptions without a mailbox in the store database. */
export class SqliteSubscriptionStore extends SqlSubscriptionStore {
  /** @param db the store database, "imap_subscriptions" schema applied */
  constructor(db: Database) {
    super(new SqliteRecordDb(db));
  }
}
