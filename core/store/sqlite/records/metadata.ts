/**
 * SQLite implementation of `MetadataStore` (component "imap_metadata", table `imap_metadata`); the
 * statements are the shared ones (core/store/records/sql/metadata.ts).
 *
 * @module
 */
import { SqlMetadataStore } from "../../records/sql/metadata.ts";
import type { Database } from "../database.ts";
import { SqliteRecordDb } from "./db.ts";

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

/** Metadata entries in the store database. */
export class SqliteMetadataStore extends SqlMetadataStore {
  /** @param db the store database, "imap_metadata" schema applied */
  constructor(db: Database) {
    super(new SqliteRecordDb(db));
  }
}
