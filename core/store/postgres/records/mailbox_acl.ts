/**
 * The PostgreSQL table of the mailbox access control lists (RFC 4314, component "mailbox_acl"). The
 * store is the shared `SqlMailboxAclStore` (core/store/records/sql/mailbox_acl.ts).
 *
 * @module
 */
import type { PgMigration } from "../migrations.ts";

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
