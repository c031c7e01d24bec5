/**
 * Tables of the record stores on PostgreSQL (component "records" in the one migration ledger,
 * `schema_migrations`). Times are milliseconds since the epoch (BIGINT), as in the SQLite backend.
 *
 * @module
 */
import type { PgMigration } from "../migrations.ts";

/** Migration component of the record stores. */
export const RECORDS_COMPONENT = "records";

/** Schema steps, oldest first. Never edit a released step; add a new one. */
export const RECORDS_MIGRATIONS: PgMigration[] = [{
  version: 1,
  sql: `
CREATE TABLE jmap_identities (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  name TEXT NOT NULL,
  email TEXT NOT NULL,
  reply_to JSONB,
  bcc JSONB,
  text_signature TEXT NOT NULL,
  html_signature TEXT NOT NULL,
  created BIGINT NOT NULL
);
CREATE INDEX jmap_identities_account ON jmap_identities(account_id);
CREATE TABLE jmap_uploads (
  account_id TEXT NOT NULL,
  blob_id TEXT NOT NULL,
  type TEXT NOT NULL,
  size BIGINT NOT NULL,
  created BIGINT NOT NULL,
  PRIMARY KEY (account_id, blob_id)
);
CREATE TABLE jmap_tokens (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  name TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created BIGINT NOT NULL,
  last_used BIGINT,
  scope TEXT NOT NULL DEFAULT 'account'
);
CREATE INDEX jmap_tokens_account ON jmap_tokens(account_id);
CREATE TABLE jmap_vacation (
  account_id TEXT PRIMARY KEY,
  is_enabled BOOLEAN NOT NULL,
  from_date BIGINT,
  to_date BIGINT,
  subject TEXT,
  text_body TEXT,
  html_body TEXT,
  state BIGINT NOT NULL
);
CREATE TABLE jmap_vacation_sent (
  account_id TEXT NOT NULL,
  sender TEXT NOT NULL,
  sent_at BIGINT NOT NULL,
  PRIMARY KEY (account_id, sender)
);
CREATE TABLE bans (
  address TEXT PRIMARY KEY,
  until_ms BIGINT NOT NULL,
  reason TEXT NOT NULL,
  created_ms BIGINT NOT NULL
);
CREATE TABLE dkim_keys (
  domain TEXT NOT NULL,
  selector TEXT NOT NULL,
  algorithm TEXT NOT NULL,
  private_key TEXT NOT NULL,
  public_key TEXT NOT NULL,
  created BIGINT NOT NULL,
  PRIMARY KEY (domain, algorithm)
);
-- A size goes with its blob: deleted with the store's blob row.
CREATE TABLE pop3_virtual_sizes (
  blob_id TEXT PRIMARY KEY REFERENCES blobs (hash) ON DELETE CASCADE,
  size BIGINT NOT NULL
);
CREATE TABLE imap_subscriptions (
  account_id TEXT NOT NULL,
  name TEXT NOT NULL,
  PRIMARY KEY (account_id, name)
);
`,
}];
