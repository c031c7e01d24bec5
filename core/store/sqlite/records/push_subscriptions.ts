/**
 * SQLite implementation of `PushSubscriptionStore` (component "jmap_push", table
 * `jmap_push_subscriptions`); the statements are the shared ones
 * (core/store/records/sql/push_subscriptions.ts).
 *
 * @module
 */
import { SqlPushSubscriptionStore } from "../../records/sql/push_subscriptions.ts";
import type { Database } from "../database.ts";
import { SqliteRecordDb } from "./db.ts";

/** Applies the "jmap_push" migrations. */
export function migratePushSubscriptions(db: Database): void {
  db.applyMigrations("jmap_push", [{
    version: 1,
    sql: `CREATE TABLE jmap_push_subscriptions (
      id TEXT PRIMARY KEY,
      account_id TEXT NOT NULL,
      device_client_id TEXT NOT NULL,
      url TEXT NOT NULL,
      keys TEXT,
      expected_code TEXT NOT NULL,
      verification_code TEXT,
      expires INTEGER,
      types TEXT,
      created INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX jmap_push_subscriptions_account ON jmap_push_subscriptions(account_id, created);`,
  }]);
}

/** Push subscriptions in the store database. */
export class SqlitePushSubscriptionStore extends SqlPushSubscriptionStore {
  /** @param db the store database, "jmap_push" schema applied */
  constructor(db: Database) {
    super(new SqliteRecordDb(db));
  }
}
