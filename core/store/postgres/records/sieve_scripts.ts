/**
 * The PostgreSQL tables of the Sieve scripts (RFC 5228, managed as in RFC 5804) and the Sieve
 * trackers (vacation replies, RFC 5230; duplicate ids, RFC 7352), component "sieve". The store is the
 * shared `SqlSieveScriptStore` (core/store/records/sql/sieve_scripts.ts).
 *
 * @module
 */
import type { PgMigration } from "../migrations.ts";

/** Migration component of the Sieve tables. */
export const SIEVE_COMPONENT = "sieve";

/** The Sieve tables. */
export const SIEVE_MIGRATIONS: PgMigration[] = [{
  version: 1,
  sql: `
CREATE TABLE sieve_scripts (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  name TEXT NOT NULL,
  content TEXT NOT NULL,
  size BIGINT NOT NULL,
  is_active INTEGER NOT NULL DEFAULT 0,
  version BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (account_id, name)
);
CREATE UNIQUE INDEX sieve_scripts_one_active ON sieve_scripts (account_id) WHERE is_active = 1;
CREATE TABLE sieve_state (
  account_id TEXT PRIMARY KEY,
  state BIGINT NOT NULL
);
CREATE TABLE sieve_vacation_sent (
  account_id TEXT NOT NULL,
  handle TEXT NOT NULL,
  sender TEXT NOT NULL,
  sent_at BIGINT NOT NULL,
  PRIMARY KEY (account_id, handle, sender)
);
CREATE TABLE sieve_duplicates (
  account_id TEXT NOT NULL,
  handle TEXT NOT NULL,
  id TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (account_id, handle, id)
);
`,
}];
