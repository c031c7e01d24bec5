/**
 * SQLite implementation of `MailboxAclStore` (component "mailbox_acl", table `mailbox_acl`); the
 * statements are the shared ones (core/store/records/sql/mailbox_acl.ts).
 *
 * @module
 */
import { SqlMailboxAclStore } from "../../records/sql/mailbox_acl.ts";
import type { Database } from "../database.ts";
import { SqliteRecordDb } from "./db.ts";

/** Applies the "mailbox_acl" migrations. */
export function migrateMailboxAcl(db: Database): void {
  db.applyMigrations("mailbox_acl", [{
    version: 1,
    sql: `CREATE TABLE mailbox_acl (
      owner_id TEXT NOT NULL,
      mailbox_id TEXT NOT NULL,
      grantee TEXT NOT NULL,
      rights TEXT NOT NULL,
      PRIMARY KEY (owner_id, mailbox_id, grantee)
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX mailbox_acl_grantee ON mailbox_acl (grantee, owner_id, mailbox_id);`,
  }]);
}

/** Mailbox ACLs in the store database. */
export class SqliteMailboxAclStore extends SqlMailboxAclStore {
  /** @param db the store database, "mailbox_acl" schema applied */
  constructor(db: Database) {
    super(new SqliteRecordDb(db));
  }
}
