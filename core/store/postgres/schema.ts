/**
 * Schema of the mail store on PostgreSQL (component "store" in `schema_migrations`).
 *
 * Differences from the SQLite schema (core/store/sqlite/schema.ts), on purpose:
 * - Ids are `bigserial`s; the public ids keep SQLite's form (`a12`, `m3`, `e7`, `t5`) so that
 *   nothing above the store can tell the backends apart.
 * - Placements hold only what is per mailbox (UID, MODSEQ, save date); flags, size and dates are
 *   read from `messages` through the join. Counters are computed by queries, not triggers.
 * - Search text is stored lowercased by the application (JavaScript's Unicode lowercasing), so
 *   substring matching with `position()` does not depend on the database's collation or ctype.
 * - Every write that touches an account first locks its `accounts` row (`FOR UPDATE`), so MODSEQs
 *   and UIDs are assigned in commit order across processes.
 *
 * @module
 */
import type { PgMigration } from "./migrations.ts";

/** Component name of the mail store in `schema_migrations`. */
export const STORE_COMPONENT = "store";

/** Migrations of the mail store, in order. */
export const STORE_MIGRATIONS: PgMigration[] = [{
  version: 1,
  sql: `
CREATE TABLE store_meta (
  key TEXT PRIMARY KEY,
  value BIGINT NOT NULL
);

CREATE TABLE domains (
  name TEXT PRIMARY KEY,
  created BIGINT NOT NULL
);

CREATE TABLE accounts (
  id BIGSERIAL PRIMARY KEY,
  address TEXT NOT NULL,
  address_key TEXT NOT NULL UNIQUE,
  domain TEXT NOT NULL REFERENCES domains(name),
  display_name TEXT NOT NULL DEFAULT '',
  quota_bytes BIGINT NOT NULL DEFAULT 0,
  used_bytes BIGINT NOT NULL DEFAULT 0,
  disabled BOOLEAN NOT NULL DEFAULT false,
  created BIGINT NOT NULL,
  modseq BIGINT NOT NULL DEFAULT 0,
  changes_floor BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX accounts_domain ON accounts(domain);

CREATE TABLE account_secrets (
  account_id BIGINT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  password_hash TEXT NOT NULL,
  scram_sha256 TEXT,
  cram_md5 TEXT
);

CREATE TABLE aliases (
  address_key TEXT PRIMARY KEY,
  address TEXT NOT NULL,
  domain TEXT NOT NULL REFERENCES domains(name),
  targets JSONB NOT NULL,
  created BIGINT NOT NULL
);
CREATE INDEX aliases_domain ON aliases(domain);

CREATE TABLE mailboxes (
  id BIGSERIAL PRIMARY KEY,
  account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  parent_id BIGINT REFERENCES mailboxes(id),
  name TEXT NOT NULL,
  role TEXT,
  sort_order BIGINT NOT NULL DEFAULT 0,
  subscribed BOOLEAN NOT NULL DEFAULT true,
  uid_validity BIGINT NOT NULL,
  uid_next BIGINT NOT NULL DEFAULT 1,
  highest_modseq BIGINT NOT NULL DEFAULT 0,
  recent_uid BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX mailboxes_sibling_name ON mailboxes(account_id, coalesce(parent_id, 0), name);
CREATE UNIQUE INDEX mailboxes_role ON mailboxes(account_id, role) WHERE role IS NOT NULL;
CREATE INDEX mailboxes_parent ON mailboxes(parent_id);

CREATE TABLE blobs (
  id BIGSERIAL PRIMARY KEY,
  hash TEXT NOT NULL UNIQUE,
  size BIGINT NOT NULL,
  refcount BIGINT NOT NULL DEFAULT 0,
  summary TEXT
);

-- Search text of a blob, lowercased by the application.
CREATE TABLE message_text (
  blob_id BIGINT PRIMARY KEY REFERENCES blobs(id) ON DELETE CASCADE,
  subject TEXT NOT NULL,
  addr_from TEXT NOT NULL,
  addr_to TEXT NOT NULL,
  addr_cc TEXT NOT NULL,
  addr_bcc TEXT NOT NULL,
  body TEXT NOT NULL,
  -- Unfolded header lines "name: value", names lowercased; as written and with RFC 2047 words decoded.
  headers TEXT NOT NULL,
  headers_decoded TEXT NOT NULL
);

CREATE TABLE threads (
  id BIGSERIAL PRIMARY KEY,
  account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  subject_key TEXT NOT NULL DEFAULT ''
);
CREATE INDEX threads_account ON threads(account_id);

CREATE TABLE thread_refs (
  account_id BIGINT NOT NULL,
  message_id_header TEXT NOT NULL,
  thread_id BIGINT NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
  PRIMARY KEY (account_id, message_id_header)
);
CREATE INDEX thread_refs_thread ON thread_refs(thread_id);

CREATE TABLE messages (
  id BIGSERIAL PRIMARY KEY,
  account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  thread_id BIGINT NOT NULL REFERENCES threads(id),
  blob_id BIGINT NOT NULL REFERENCES blobs(id),
  size BIGINT NOT NULL,
  received_at BIGINT NOT NULL,
  flags INTEGER NOT NULL DEFAULT 0,
  keywords TEXT NOT NULL DEFAULT '',
  modseq BIGINT NOT NULL,
  sent_at BIGINT,
  has_attachment BOOLEAN NOT NULL DEFAULT false,
  subject_key TEXT NOT NULL DEFAULT '',
  from_key TEXT NOT NULL DEFAULT '',
  to_key TEXT NOT NULL DEFAULT ''
);
CREATE INDEX messages_account_received ON messages(account_id, received_at);
CREATE INDEX messages_thread ON messages(thread_id);
CREATE INDEX messages_blob ON messages(blob_id);

CREATE TABLE placements (
  mailbox_id BIGINT NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  uid BIGINT NOT NULL,
  message_id BIGINT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  modseq BIGINT NOT NULL,
  saved_at BIGINT,
  PRIMARY KEY (mailbox_id, uid)
);
CREATE UNIQUE INDEX placements_message ON placements(message_id, mailbox_id);
CREATE INDEX placements_modseq ON placements(mailbox_id, modseq);

CREATE TABLE expunged (
  mailbox_id BIGINT NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  uid BIGINT NOT NULL,
  modseq BIGINT NOT NULL,
  PRIMARY KEY (mailbox_id, uid)
);
CREATE INDEX expunged_modseq ON expunged(mailbox_id, modseq);

CREATE TABLE changes (
  account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  modseq BIGINT NOT NULL,
  type TEXT NOT NULL,
  object_id TEXT NOT NULL,
  kind CHAR(1) NOT NULL CHECK (kind IN ('c', 'u', 'd')),
  PRIMARY KEY (account_id, modseq)
);
CREATE INDEX changes_type ON changes(account_id, type, modseq);
`,
}];
