/**
 * SQLite implementation of `SieveScriptStore` (component "sieve": tables `sieve_scripts`,
 * `sieve_state`, `sieve_vacation_sent`, `sieve_duplicates`); the statements are the shared ones
 * (core/store/records/sql/sieve_scripts.ts).
 *
 * @module
 */
import { SqlSieveScriptStore } from "../../records/sql/sieve_scripts.ts";
import type { Database } from "../database.ts";
import { SqliteRecordDb } from "./db.ts";

/** Applies the "sieve" migrations. */
export function migrateSieveScripts(db: Database): void {
  db.applyMigrations("sieve", [{
    version: 1,
    sql: `CREATE TABLE sieve_scripts (
      id TEXT PRIMARY KEY,
      account_id TEXT NOT NULL,
      name TEXT NOT NULL,
      content TEXT NOT NULL,
      size INTEGER NOT NULL,
      is_active INTEGER NOT NULL DEFAULT 0,
      version INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      UNIQUE (account_id, name)
    ) STRICT;
    CREATE UNIQUE INDEX sieve_scripts_one_active ON sieve_scripts (account_id) WHERE is_active = 1;
    CREATE TABLE sieve_state (
      account_id TEXT PRIMARY KEY,
      state INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE sieve_vacation_sent (
      account_id TEXT NOT NULL,
      handle TEXT NOT NULL,
      sender TEXT NOT NULL,
      sent_at INTEGER NOT NULL,
      PRIMARY KEY (account_id, handle, sender)
    ) STRICT, WITHOUT ROWID;
    CREATE TABLE sieve_duplicates (
      account_id TEXT NOT NULL,
      handle TEXT NOT NULL,
      id TEXT NOT NULL,
      expires_at INTEGER NOT NULL,
      PRIMARY KEY (account_id, handle, id)
    ) STRICT, WITHOUT ROWID;`,
  }]);
}

/** Sieve scripts and trackers in the store database. */
export class SqliteSieveScriptStore extends SqlSieveScriptStore {
  /**
   * @param db the store database, "sieve" schema applied
   * @param now the clock (update times)
   */
  constructor(db: Database, now: () => Date) {
    super(new SqliteRecordDb(db), () => now().getTime());
  }
}
