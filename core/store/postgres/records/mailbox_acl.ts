/**
 * Mailbox access control lists (RFC 4314) on PostgreSQL (component "mailbox_acl"); the statements
 * are the shared ones (core/store/records/sql/mailbox_acl.ts).
 *
 * @module
 */
import { SqlMailboxAclStore } from "../../records/sql/mailbox_acl.ts";
import type { PgMigration } from "../migrations.ts";
import type { PgDb } from "./db.ts";

/** Migration component of the ACL table. */
export const MAILBOX_ACL_COMPONENT = "mailbox_acl";

/** The ACL table. */
export const MAILBOX_ACL_MIGRATIONS: PgMigration[] = [{
  version: 1,
  sql: `
CREATE TABLE mailbox_acl (
  owner_id TEXT NOT NULL,
  mailbox_id TEXT NOT NULL,
  grantee TEXT NOT NULL,
  rights TEXT NOT NULL,
  PRIMARY KEY (owner_id, mailbox_id, grantee)
);
CREATE INDEX mailbox_acl_grantee ON mailbox_acl (grantee, owner_id, mailbox_id);
`,
}];

/** Mailbox ACLs. */
export class PgMailboxAclStore extends SqlMailboxAclStore {
  /** @param db the pool */
  constructor(db: PgDb) {
    super(db);
  }
}
