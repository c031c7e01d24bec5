/**
 * SQLite implementation of `SubscriptionStore` (component "imap_subscriptions", table
 * `imap_subscriptions`). Account ids are never reused, so rows of a deleted account are inert.
 *
 * @module
 */
import type { AccountId } from "../../types.ts";
import type { SubscriptionStore } from "../../records/subscriptions.ts";
import type { Database } from "../database.ts";

/** Names are bounded like mailbox names (32 levels of 255 characters). */
const MAX_NAME = 32 * 256;

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
export class SqliteSubscriptionStore implements SubscriptionStore {
  readonly #db: Database;

  /** @param db the store database, "imap_subscriptions" schema applied */
  constructor(db: Database) {
    this.#db = db;
  }

  list(accountId: AccountId): Promise<string[]> {
    const rows = this.#db.all<{ name: string }>(
      "SELECT name FROM imap_subscriptions WHERE account_id = ? ORDER BY name",
      accountId,
    );
    return Promise.resolve(rows.map((r) => r.name));
  }

  add(accountId: AccountId, name: string): Promise<void> {
    if (name.length > MAX_NAME) return Promise.reject(new RangeError("subscription name too long"));
    this.#db.run(
      "INSERT OR IGNORE INTO imap_subscriptions (account_id, name) VALUES (?, ?)",
      accountId,
      name,
    );
    return Promise.resolve();
  }

  remove(accountId: AccountId, name: string): Promise<void> {
    this.#db.run("DELETE FROM imap_subscriptions WHERE account_id = ? AND name = ?", accountId, name);
    return Promise.resolve();
  }
}
