/**
 * SQLite implementation of `DkimKeyStore` (component "dkim", table `dkim_keys`); the statements are
 * the shared ones (core/store/records/sql/dkim_keys.ts).
 *
 * @module
 */
import { SqlDkimKeyStore } from "../../records/sql/dkim_keys.ts";
import type { Database } from "../database.ts";
import { SqliteRecordDb } from "./db.ts";

/** Applies the "dkim" migrations. */
export function migrateDkimKeys(db: Database): void {
  db.applyMigrations("dkim", [{
    version: 1,
    sql: `CREATE TABLE dkim_keys (
      domain TEXT PRIMARY KEY,
      selector TEXT NOT NULL,
      algorithm TEXT NOT NULL,
      private_key TEXT NOT NULL,
      public_key TEXT NOT NULL,
      created INTEGER NOT NULL
    )`,
  }, {
    // One key per domain and algorithm (RSA and Ed25519 side by side, RFC 8463 §1).
    version: 2,
    sql: `CREATE TABLE dkim_keys_v2 (
      domain TEXT NOT NULL,
      selector TEXT NOT NULL,
      algorithm TEXT NOT NULL,
      private_key TEXT NOT NULL,
      public_key TEXT NOT NULL,
      created INTEGER NOT NULL,
      PRIMARY KEY (domain, algorithm)
    );
    INSERT INTO dkim_keys_v2 SELECT domain, selector, algorithm, private_key, public_key, created FROM dkim_keys;
    DROP TABLE dkim_keys;
    ALTER TABLE dkim_keys_v2 RENAME TO dkim_keys`,
  }]);
}

/** DKIM keys in the store database. */
export class SqliteDkimKeyStore extends SqlDkimKeyStore {
  /** @param db the store database, "dkim" schema applied */
  constructor(db: Database) {
    super(new SqliteRecordDb(db));
  }
}
