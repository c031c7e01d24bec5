/**
 * IMAP METADATA entries (RFC 5464) on PostgreSQL (component "imap_metadata"); the statements are the
 * shared ones (core/store/records/sql/metadata.ts).
 *
 * @module
 */
import { SqlMetadataStore } from "../../records/sql/metadata.ts";
import type { PgMigration } from "../migrations.ts";
import type { Sql } from "../connection.ts";
import { PgDb } from "./db.ts";

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

/** IMAP METADATA entries. */
export class PgMetadataStore extends SqlMetadataStore {
  /** @param sql the pool */
  constructor(sql: Sql) {
    super(new PgDb(sql));
  }
}
