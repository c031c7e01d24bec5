/**
 * SQLite implementation of `BanStore` (component "policy", table `bans`); the statements are the
 * shared ones (core/store/records/sql/bans.ts).
 *
 * @module
 */
import { SqlBanStore } from "../../records/sql/bans.ts";
import type { Database } from "../database.ts";
import { SqliteRecordDb } from "./db.ts";

/** Applies the "policy" migrations. */
export function migrateBans(db: Database): void {
  db.applyMigrations("policy", [{
    version: 1,
    sql: `CREATE TABLE bans (
      address TEXT PRIMARY KEY,
      until_ms INTEGER NOT NULL,
      reason TEXT NOT NULL,
      created_ms INTEGER NOT NULL
    ) STRICT;`,
  }]);
}

/** Bans in the store database. */
export class SqliteBanStore extends SqlBanStore {
  /** @param db the store database, "policy" schema applied */
  constructor(db: Database) {
    super(new SqliteRecordDb(db));
  }
}
