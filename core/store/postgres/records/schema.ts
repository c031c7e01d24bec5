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
}, {
  version: 2,
  sql: `
CREATE TABLE jmap_submissions (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  identity_id TEXT NOT NULL,
  email_id TEXT NOT NULL,
  thread_id TEXT NOT NULL,
  envelope TEXT NOT NULL,
  send_at BIGINT NOT NULL,
  undo_status TEXT NOT NULL,
  delivery_status TEXT NOT NULL,
  dsn_blob_ids TEXT NOT NULL DEFAULT '[]',
  mdn_blob_ids TEXT NOT NULL DEFAULT '[]',
  queue_id TEXT,
  created BIGINT NOT NULL
);
CREATE INDEX jmap_submissions_account ON jmap_submissions(account_id, send_at);
CREATE TABLE jmap_push_subscriptions (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  device_client_id TEXT NOT NULL,
  url TEXT NOT NULL,
  keys TEXT,
  expected_code TEXT NOT NULL,
  verification_code TEXT,
  expires BIGINT,
  types TEXT,
  created BIGINT NOT NULL
);
CREATE INDEX jmap_push_subscriptions_account ON jmap_push_subscriptions(account_id, created);
`,
}, {
  version: 3,
  sql: `
CREATE TABLE queue_messages (
  id TEXT PRIMARY KEY,
  from_addr TEXT,
  envid TEXT,
  ret TEXT,
  smtputf8 BOOLEAN NOT NULL DEFAULT false,
  body TEXT NOT NULL DEFAULT '7BIT',
  blob_id TEXT NOT NULL,
  size BIGINT NOT NULL,
  auth_user TEXT,
  session_id TEXT,
  created BIGINT NOT NULL,
  expires BIGINT NOT NULL,
  is_dsn BOOLEAN NOT NULL DEFAULT false,
  origin TEXT
);
CREATE TABLE queue_recipients (
  message_id TEXT NOT NULL REFERENCES queue_messages(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  address TEXT NOT NULL,
  domain TEXT NOT NULL,
  notify TEXT NOT NULL DEFAULT '',
  orcpt TEXT,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt BIGINT NOT NULL,
  last_reply TEXT,
  last_host TEXT,
  delay_notified BOOLEAN NOT NULL DEFAULT false,
  updated BIGINT NOT NULL,
  PRIMARY KEY (message_id, idx)
);
CREATE INDEX queue_recipients_due ON queue_recipients(next_attempt) WHERE status IN ('queued', 'deferred');
CREATE TABLE queue_attempts (
  id BIGSERIAL PRIMARY KEY,
  message_id TEXT NOT NULL REFERENCES queue_messages(id) ON DELETE CASCADE,
  recipients TEXT NOT NULL,
  at BIGINT NOT NULL,
  host TEXT,
  outcome TEXT NOT NULL,
  reply TEXT NOT NULL,
  latency_ms BIGINT NOT NULL
);
CREATE INDEX queue_attempts_message ON queue_attempts(message_id);
`,
}, {
  // RFC 8689 §4: the message was received with the REQUIRETLS MAIL parameter.
  version: 4,
  sql: `ALTER TABLE queue_messages ADD COLUMN require_tls BOOLEAN NOT NULL DEFAULT false;`,
}];
