/**
 * Tables of the JMAP records the mail store keeps beside mail (migration component "jmap", in the
 * database's one migration ledger): tokens, uploads, identities, submissions, vacation responses.
 *
 * @module
 */
import type { Database, Migration } from "../database.ts";

/** Migration component name. */
export const JMAP_COMPONENT = "jmap";

/** Schema steps, oldest first. Never edit a released step; add a new one. */
export const JMAP_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `
CREATE TABLE IF NOT EXISTS jmap_tokens (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  name TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created INTEGER NOT NULL,
  last_used INTEGER
);
CREATE INDEX IF NOT EXISTS jmap_tokens_account ON jmap_tokens(account_id);
CREATE TABLE IF NOT EXISTS jmap_uploads (
  account_id TEXT NOT NULL,
  blob_id TEXT NOT NULL,
  type TEXT NOT NULL,
  size INTEGER NOT NULL,
  created INTEGER NOT NULL,
  PRIMARY KEY (account_id, blob_id)
);
CREATE TABLE IF NOT EXISTS jmap_identities (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  name TEXT NOT NULL,
  email TEXT NOT NULL,
  reply_to TEXT,
  bcc TEXT,
  text_signature TEXT NOT NULL,
  html_signature TEXT NOT NULL,
  created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS jmap_identities_account ON jmap_identities(account_id);
CREATE TABLE IF NOT EXISTS jmap_submissions (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  identity_id TEXT NOT NULL,
  email_id TEXT NOT NULL,
  thread_id TEXT NOT NULL,
  envelope TEXT NOT NULL,
  send_at INTEGER NOT NULL,
  undo_status TEXT NOT NULL,
  delivery_status TEXT NOT NULL,
  dsn_blob_ids TEXT NOT NULL DEFAULT '[]',
  mdn_blob_ids TEXT NOT NULL DEFAULT '[]',
  created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS jmap_submissions_account ON jmap_submissions(account_id, send_at);
CREATE TABLE IF NOT EXISTS jmap_vacation (
  account_id TEXT PRIMARY KEY,
  is_enabled INTEGER NOT NULL,
  from_date INTEGER,
  to_date INTEGER,
  subject TEXT,
  text_body TEXT,
  html_body TEXT,
  state INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS jmap_vacation_sent (
  account_id TEXT NOT NULL,
  sender TEXT NOT NULL,
  sent_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, sender)
);
`,
  },
  {
    // The outbound queue entry of a submission's remote recipients (undo, status updates).
    version: 2,
    sql: `ALTER TABLE jmap_submissions ADD COLUMN queue_id TEXT;`,
  },
  {
    // API token scopes (core/authz); tokens made before scopes act for their account.
    version: 3,
    sql: `ALTER TABLE jmap_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'account';`,
  },
];

/** Applies the JMAP migrations. */
export function migrateJmap(db: Database): void {
  db.applyMigrations(JMAP_COMPONENT, JMAP_MIGRATIONS);
}
