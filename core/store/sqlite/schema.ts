/**
 * Schema of the store's own tables (component "store" in `schema_migrations`).
 *
 * Notes:
 * - Row ids use AUTOINCREMENT so that JMAP ids are never reused (RFC 8620 §1.2), and so that a
 *   full-text row keyed by a blob row id can never be confused with a later blob's.
 * - `placements` duplicates the message's flags, size, date and thread so that the IMAP view of a
 *   mailbox (listPlacements, counts) is one range scan of a clustered table.
 * - Mailbox counters (total, unread, deleted, size, threads, unread threads) are kept by triggers on
 *   `placements`, so they stay right whatever statement changes a placement.
 * - Keywords: a bitmask for the five IMAP system flags plus a space-separated text of the others.
 * - Summary, header text and the search row belong to the blob (the same bytes parse the same way),
 *   so copies and cross-account duplicates cost no parsing or indexing.
 *
 * @module
 */
import type { Migration } from "./database.ts";

/** Component name of the store in `schema_migrations`. */
export const STORE_COMPONENT = "store";

/** Migrations of the store, in order. */
export function storeMigrations(hasFts5: boolean): Migration[] {
  return [{ version: 1, sql: schemaV1(hasFts5) }, { version: 2, sql: SCHEMA_V2 }, {
    version: 3,
    sql: SCHEMA_V3,
  }];
}

/**
 * Version 3: when each placement was saved into its mailbox (RFC 8514 SAVEDATE), in ms since the
 * epoch. Placements saved before this version get their message's internal date, the best
 * estimate there is.
 */
export const SCHEMA_V3 = `
ALTER TABLE placements ADD COLUMN saved_at INTEGER;
UPDATE placements SET saved_at = received_at;
`;

/**
 * Version 2: per mailbox, the highest UID a session has claimed as IMAP \Recent (RFC 3501
 * §2.3.2); no row means none claimed yet.
 */
const SCHEMA_V2 = `
CREATE TABLE recent_claims (
  mailbox_id INTEGER PRIMARY KEY REFERENCES mailboxes(id) ON DELETE CASCADE,
  uid INTEGER NOT NULL
);
`;

function schemaV1(hasFts5: boolean): string {
  const search = hasFts5
    ? `CREATE VIRTUAL TABLE message_text USING fts5(
         subject, addr_from, addr_to, addr_cc, addr_bcc, body, tokenize = 'trigram'
       );`
    : `CREATE TABLE message_text (
         rowid INTEGER PRIMARY KEY,
         subject TEXT, addr_from TEXT, addr_to TEXT, addr_cc TEXT, addr_bcc TEXT, body TEXT
       );`;
  return `
CREATE TABLE store_meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);

CREATE TABLE domains (
  name TEXT PRIMARY KEY,
  created INTEGER NOT NULL
);

CREATE TABLE accounts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  address TEXT NOT NULL,
  address_key TEXT NOT NULL UNIQUE,
  domain TEXT NOT NULL REFERENCES domains(name),
  display_name TEXT NOT NULL DEFAULT '',
  quota_bytes INTEGER NOT NULL DEFAULT 0,
  used_bytes INTEGER NOT NULL DEFAULT 0,
  disabled INTEGER NOT NULL DEFAULT 0,
  created INTEGER NOT NULL,
  modseq INTEGER NOT NULL DEFAULT 0,
  -- Changes at or below this MODSEQ were pruned from the change log.
  changes_floor INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX accounts_domain ON accounts(domain);

CREATE TABLE account_secrets (
  account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  password_hash TEXT NOT NULL,
  scram_sha256 TEXT,
  cram_md5 TEXT
);

CREATE TABLE aliases (
  address_key TEXT PRIMARY KEY,
  address TEXT NOT NULL,
  domain TEXT NOT NULL REFERENCES domains(name),
  targets TEXT NOT NULL,
  created INTEGER NOT NULL
);
CREATE INDEX aliases_domain ON aliases(domain);

CREATE TABLE mailboxes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  parent_id INTEGER REFERENCES mailboxes(id),
  name TEXT NOT NULL,
  role TEXT,
  sort_order INTEGER NOT NULL DEFAULT 0,
  subscribed INTEGER NOT NULL DEFAULT 1,
  uid_validity INTEGER NOT NULL,
  uid_next INTEGER NOT NULL DEFAULT 1,
  highest_modseq INTEGER NOT NULL DEFAULT 0,
  -- Counters kept by the placement triggers below (mailboxCounts reads one row).
  c_total INTEGER NOT NULL DEFAULT 0,
  c_unread INTEGER NOT NULL DEFAULT 0,
  c_deleted INTEGER NOT NULL DEFAULT 0,
  c_size INTEGER NOT NULL DEFAULT 0,
  c_threads INTEGER NOT NULL DEFAULT 0,
  c_unread_threads INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX mailboxes_sibling_name ON mailboxes(account_id, ifnull(parent_id, 0), name);
CREATE UNIQUE INDEX mailboxes_role ON mailboxes(account_id, role) WHERE role IS NOT NULL;
CREATE INDEX mailboxes_parent ON mailboxes(parent_id);

CREATE TABLE blobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  hash TEXT NOT NULL UNIQUE,
  size INTEGER NOT NULL,
  refcount INTEGER NOT NULL DEFAULT 0,
  summary TEXT,
  headers TEXT
);
CREATE INDEX blobs_unreferenced ON blobs(refcount) WHERE refcount <= 0;

${search}

CREATE TABLE threads (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  subject_key TEXT NOT NULL DEFAULT ''
);
CREATE INDEX threads_account ON threads(account_id);

CREATE TABLE thread_refs (
  account_id INTEGER NOT NULL,
  message_id_header TEXT NOT NULL,
  thread_id INTEGER NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
  PRIMARY KEY (account_id, message_id_header)
) WITHOUT ROWID;
CREATE INDEX thread_refs_thread ON thread_refs(thread_id);

CREATE TABLE messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  thread_id INTEGER NOT NULL REFERENCES threads(id),
  blob_id INTEGER NOT NULL REFERENCES blobs(id),
  size INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  flags INTEGER NOT NULL DEFAULT 0,
  keywords TEXT NOT NULL DEFAULT '',
  modseq INTEGER NOT NULL,
  sent_at INTEGER,
  has_attachment INTEGER NOT NULL DEFAULT 0,
  subject_key TEXT NOT NULL DEFAULT '',
  from_key TEXT NOT NULL DEFAULT '',
  to_key TEXT NOT NULL DEFAULT ''
);
CREATE INDEX messages_account_received ON messages(account_id, received_at);
CREATE INDEX messages_thread ON messages(thread_id);
CREATE INDEX messages_blob ON messages(blob_id);

CREATE TABLE placements (
  mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  uid INTEGER NOT NULL,
  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  modseq INTEGER NOT NULL,
  flags INTEGER NOT NULL,
  keywords TEXT NOT NULL,
  size INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  thread_id INTEGER NOT NULL,
  PRIMARY KEY (mailbox_id, uid)
) WITHOUT ROWID;
CREATE UNIQUE INDEX placements_message ON placements(message_id, mailbox_id);
CREATE INDEX placements_modseq ON placements(mailbox_id, modseq);

-- Per mailbox and thread: how many placements, how many unread (for thread counts).
CREATE TABLE mailbox_threads (
  mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  thread_id INTEGER NOT NULL,
  total INTEGER NOT NULL,
  unread INTEGER NOT NULL,
  PRIMARY KEY (mailbox_id, thread_id)
) WITHOUT ROWID;

CREATE TRIGGER placements_count_insert AFTER INSERT ON placements BEGIN
  UPDATE mailboxes SET c_total = c_total + 1, c_unread = c_unread + ((NEW.flags & 1) = 0),
    c_deleted = c_deleted + ((NEW.flags & 16) != 0), c_size = c_size + NEW.size
  WHERE id = NEW.mailbox_id;
  INSERT INTO mailbox_threads (mailbox_id, thread_id, total, unread)
  VALUES (NEW.mailbox_id, NEW.thread_id, 1, (NEW.flags & 1) = 0)
  ON CONFLICT (mailbox_id, thread_id) DO UPDATE SET total = total + 1, unread = unread + excluded.unread;
END;

CREATE TRIGGER placements_count_delete AFTER DELETE ON placements BEGIN
  UPDATE mailboxes SET c_total = c_total - 1, c_unread = c_unread - ((OLD.flags & 1) = 0),
    c_deleted = c_deleted - ((OLD.flags & 16) != 0), c_size = c_size - OLD.size
  WHERE id = OLD.mailbox_id;
  UPDATE mailbox_threads SET total = total - 1, unread = unread - ((OLD.flags & 1) = 0)
  WHERE mailbox_id = OLD.mailbox_id AND thread_id = OLD.thread_id;
  DELETE FROM mailbox_threads WHERE mailbox_id = OLD.mailbox_id AND thread_id = OLD.thread_id AND total <= 0;
END;

CREATE TRIGGER placements_count_flags AFTER UPDATE OF flags ON placements WHEN OLD.flags != NEW.flags BEGIN
  UPDATE mailboxes SET c_unread = c_unread + ((NEW.flags & 1) = 0) - ((OLD.flags & 1) = 0),
    c_deleted = c_deleted + ((NEW.flags & 16) != 0) - ((OLD.flags & 16) != 0)
  WHERE id = NEW.mailbox_id;
  UPDATE mailbox_threads SET unread = unread + ((NEW.flags & 1) = 0) - ((OLD.flags & 1) = 0)
  WHERE mailbox_id = NEW.mailbox_id AND thread_id = NEW.thread_id;
END;

CREATE TRIGGER mailbox_threads_count_insert AFTER INSERT ON mailbox_threads BEGIN
  UPDATE mailboxes SET c_threads = c_threads + 1, c_unread_threads = c_unread_threads + (NEW.unread > 0)
  WHERE id = NEW.mailbox_id;
END;

CREATE TRIGGER mailbox_threads_count_update AFTER UPDATE ON mailbox_threads BEGIN
  UPDATE mailboxes SET c_threads = c_threads + (NEW.total > 0) - (OLD.total > 0),
    c_unread_threads = c_unread_threads + (NEW.unread > 0) - (OLD.unread > 0)
  WHERE id = NEW.mailbox_id;
END;

CREATE TABLE expunged (
  mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
  uid INTEGER NOT NULL,
  modseq INTEGER NOT NULL,
  PRIMARY KEY (mailbox_id, uid)
) WITHOUT ROWID;
CREATE INDEX expunged_modseq ON expunged(mailbox_id, modseq);

CREATE TABLE changes (
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  modseq INTEGER NOT NULL,
  type TEXT NOT NULL,
  object_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('c', 'u', 'd')),
  PRIMARY KEY (account_id, modseq)
) WITHOUT ROWID;
CREATE INDEX changes_type ON changes(account_id, type, modseq);
`;
}
