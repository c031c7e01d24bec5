/**
 * SQLite implementation of `MetadataStore` (component "imap_metadata", table `imap_metadata`).
 * `/shared` entries have an empty `user_id`; `/private` ones the user's account id.
 *
 * @module
 */
import type { AccountId } from "../../types.ts";
import type { MetadataChange, MetadataEntry, MetadataStore } from "../../records/metadata.ts";
import type { Database } from "../database.ts";

/** Applies the "imap_metadata" migrations. */
export function migrateMetadata(db: Database): void {
  db.applyMigrations("imap_metadata", [{
    version: 1,
    sql: `CREATE TABLE imap_metadata (
      account_id TEXT NOT NULL,
      mailbox_id TEXT NOT NULL,
      user_id TEXT NOT NULL,
      name TEXT NOT NULL,
      value BLOB NOT NULL,
      PRIMARY KEY (account_id, mailbox_id, user_id, name)
    ) STRICT, WITHOUT ROWID;`,
  }]);
}

/** The user column of an entry: empty for `/shared`, the user for `/private`. */
function owner(name: string, userId: AccountId): string {
  return name.startsWith("/private") ? userId : "";
}

/** Metadata entries in the store database. */
export class SqliteMetadataStore implements MetadataStore {
  readonly #db: Database;

  /** @param db the store database, "imap_metadata" schema applied */
  constructor(db: Database) {
    this.#db = db;
  }

  list(accountId: AccountId, mailboxId: string, userId: AccountId): Promise<MetadataEntry[]> {
    const rows = this.#db.all<{ name: string; value: Uint8Array }>(
      `SELECT name, value FROM imap_metadata
       WHERE account_id = ? AND mailbox_id = ? AND (user_id = '' OR user_id = ?) ORDER BY name`,
      accountId,
      mailboxId,
      userId,
    );
    return Promise.resolve(rows.map((r) => ({ name: r.name, value: new Uint8Array(r.value) })));
  }

  apply(
    accountId: AccountId,
    mailboxId: string,
    userId: AccountId,
    changes: MetadataChange[],
  ): Promise<void> {
    this.#db.transaction(() => {
      for (const c of changes) {
        if (c.value === null) {
          this.#db.run(
            "DELETE FROM imap_metadata WHERE account_id = ? AND mailbox_id = ? AND user_id = ? AND name = ?",
            accountId,
            mailboxId,
            owner(c.name, userId),
            c.name,
          );
        } else {
          this.#db.run(
            `INSERT INTO imap_metadata (account_id, mailbox_id, user_id, name, value) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (account_id, mailbox_id, user_id, name) DO UPDATE SET value = excluded.value`,
            accountId,
            mailboxId,
            owner(c.name, userId),
            c.name,
            c.value,
          );
        }
      }
    });
    return Promise.resolve();
  }

  count(accountId: AccountId): Promise<number> {
    const row = this.#db.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM imap_metadata WHERE account_id = ?",
      accountId,
    );
    return Promise.resolve(row?.n ?? 0);
  }

  removeMailbox(accountId: AccountId, mailboxId: string): Promise<void> {
    this.#db.run("DELETE FROM imap_metadata WHERE account_id = ? AND mailbox_id = ?", accountId, mailboxId);
    return Promise.resolve();
  }
}
