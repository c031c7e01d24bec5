/**
 * SQLite implementation of `Pop3SizeStore` (component "pop3", table `pop3_virtual_sizes`); the
 * statements are the shared ones (core/store/records/sql/pop3_sizes.ts).
 *
 * @module
 */
import { SqlPop3SizeStore } from "../../records/sql/pop3_sizes.ts";
import type { Database } from "../database.ts";
import { SqliteRecordDb } from "./db.ts";

/** Applies the "pop3" migrations. */
export function migratePop3Sizes(db: Database): void {
  db.applyMigrations("pop3", [{
    version: 1,
    sql: `CREATE TABLE pop3_virtual_sizes (
      blob_id TEXT PRIMARY KEY,
      size INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;`,
  }, {
    // A size goes with its blob: the row is deleted when the store drops the blob's row.
    version: 2,
    sql: `CREATE TABLE pop3_virtual_sizes_v2 (
      blob_id TEXT PRIMARY KEY REFERENCES blobs (hash) ON DELETE CASCADE,
      size INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    INSERT INTO pop3_virtual_sizes_v2 (blob_id, size)
      SELECT v.blob_id, v.size FROM pop3_virtual_sizes v WHERE EXISTS (SELECT 1 FROM blobs b WHERE b.hash = v.blob_id);
    DROP TABLE pop3_virtual_sizes;
    ALTER TABLE pop3_virtual_sizes_v2 RENAME TO pop3_virtual_sizes;`,
  }]);
}

/** POP3 sizes in the store database. */
export class SqlitePop3SizeStore extends SqlPop3SizeStore {
  /** @param db the store database, "pop3" schema applied */
  constructor(db: Database) {
    super(new SqliteRecordDb(db));
  }
}
