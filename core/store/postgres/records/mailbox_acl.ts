/**
 * Mailbox access control lists (RFC 4314) on PostgreSQL: one row per mailbox and grantee with its
 * rights string; an empty rights string removes the grant. Semantics as
 * core/store/sqlite/records/mailbox_acl.ts.
 *
 * @module
 */
import type { AccountId, MailboxId } from "../../types.ts";
import type { MailboxAclStore, MailboxGrant } from "../../records/mailbox_acl.ts";
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

interface Row {
  owner_id: string;
  mailbox_id: string;
  grantee: string;
  rights: string;
}

function grant(r: Row): MailboxGrant {
  return { ownerId: r.owner_id, mailboxId: r.mailbox_id, grantee: r.grantee, rights: r.rights };
}

/** Mailbox ACLs. */
export class PgMailboxAclStore implements MailboxAclStore {
  /** @param db the pool */
  constructor(readonly db: PgDb) {}

  /** The grants of one mailbox, by grantee. */
  async list(ownerId: AccountId, mailboxId: MailboxId): Promise<MailboxGrant[]> {
    return (await this.db.all<Row>(
      'SELECT * FROM mailbox_acl WHERE owner_id = ? AND mailbox_id = ? ORDER BY grantee COLLATE "C"',
      ownerId,
      mailboxId,
    )).map(grant);
  }

  /** The grants given to a grantee. */
  async listForGrantee(grantee: string): Promise<MailboxGrant[]> {
    return (await this.db.all<Row>(
      'SELECT * FROM mailbox_acl WHERE grantee = ? ORDER BY owner_id COLLATE "C", mailbox_id COLLATE "C"',
      grantee,
    )).map(grant);
  }

  /** The grants on an owner's mailboxes. */
  async listForOwner(ownerId: AccountId): Promise<MailboxGrant[]> {
    return (await this.db.all<Row>(
      'SELECT * FROM mailbox_acl WHERE owner_id = ? ORDER BY mailbox_id COLLATE "C", grantee COLLATE "C"',
      ownerId,
    )).map(grant);
  }

  /** Sets a grantee's rights on a mailbox ("" removes the grant). */
  async set(ownerId: AccountId, mailboxId: MailboxId, grantee: string, rights: string): Promise<void> {
    if (grantee.length > 512 || rights.length > 32) throw new RangeError("ACL entry too long");
    if (rights === "") {
      await this.db.run(
        "DELETE FROM mailbox_acl WHERE owner_id = ? AND mailbox_id = ? AND grantee = ?",
        ownerId,
        mailboxId,
        grantee,
      );
      return;
    }
    await this.db.run(
      `INSERT INTO mailbox_acl (owner_id, mailbox_id, grantee, rights) VALUES (?, ?, ?, ?)
       ON CONFLICT (owner_id, mailbox_id, grantee) DO UPDATE SET rights = excluded.rights`,
      ownerId,
      mailboxId,
      grantee,
      rights,
    );
  }

  /** Drops every grant of a mailbox (it was deleted). */
  async removeMailbox(ownerId: AccountId, mailboxId: MailboxId): Promise<void> {
    await this.db.run("DELETE FROM mailbox_acl WHERE owner_id = ? AND mailbox_id = ?", ownerId, mailboxId);
  }
}
