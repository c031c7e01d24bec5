/**
 * The PostgreSQL table of the IMAP METADATA entries (RFC 5464, component "imap_metadata"), values
 * as bytea. The store is the shared `SqlMetadataStore` (core/store/records/sql/metadata.ts).
 *
 * @module
 */
import type { PgMigration } from "../migrations.ts";

/** Migration component of the METADATA table. */
export const METADATA_COMPONENT = "imap_metadata";

/** The METADATA table. */
export const METADATA_MIGRATIONS: PgMigration[] = [{
  version: 1,
  sql: `
CREATE TABLE imap_metadata (
  account_id TEXT NOT NULL,
  mailbox_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  name TEXT NOT NULL,
  value BYTEA NOT NULL,
  PRIMARY KEY (account_id, mailbox_id, user_id, name)
);
`,
}];

/** RFC 5464 §3.2: private entries belong to the user, shared ones to nobody. */
