/**
 * The queue's tables in Tern's SQLite database (component "queue").
 *
 * @module
 */
import type { Migration } from "../database.ts";

/** Migration component name. */
export const QUEUE_COMPONENT = "queue";

/** Schema versions of the queue. */
export const QUEUE_MIGRATIONS: Migration[] = [
  {
    version: 1,
    sql: `
CREATE TABLE queue_messages (
  id TEXT PRIMARY KEY,
  from_addr TEXT,
  envid TEXT,
  ret TEXT,
  smtputf8 INTEGER NOT NULL DEFAULT 0,
  body TEXT NOT NULL DEFAULT '7BIT',
  blob_id TEXT NOT NULL,
  size INTEGER NOT NULL,
  auth_user TEXT,
  session_id TEXT,
  created INTEGER NOT NULL,
  expires INTEGER NOT NULL,
  is_dsn INTEGER NOT NULL DEFAULT 0
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
  next_attempt INTEGER NOT NULL,
  last_reply TEXT,
  last_host TEXT,
  delay_notified INTEGER NOT NULL DEFAULT 0,
  updated INTEGER NOT NULL,
  PRIMARY KEY (message_id, idx)
);
CREATE INDEX queue_recipients_due ON queue_recipients(next_attempt) WHERE status IN ('queued', 'deferred');
CREATE TABLE queue_attempts (
  id INTEGER PRIMARY KEY,
  message_id TEXT NOT NULL REFERENCES queue_messages(id) ON DELETE CASCADE,
  recipients TEXT NOT NULL,
  at INTEGER NOT NULL,
  host TEXT,
  outcome TEXT NOT NULL,
  reply TEXT NOT NULL,
  latency_ms INTEGER NOT NULL
);
CREATE INDEX queue_attempts_message ON queue_attempts(message_id);
`,
  },
  {
    // Who handed the message in (opaque to the queue, e.g. a JMAP EmailSubmission): recipient
    // outcomes are reported to it through `Queue.onRecipientOutcome`.
    version: 2,
    sql: `ALTER TABLE queue_messages ADD COLUMN origin TEXT;`,
  },
  {
    // RFC 8689 §4: the message was received with the REQUIRETLS MAIL parameter.
    version: 3,
    sql: `ALTER TABLE queue_messages ADD COLUMN require_tls INTEGER NOT NULL DEFAULT 0;`,
  },
];
