/**
 * `MailboxAclStore` (RFC 4314) in SQL, shared by SQLite and PostgreSQL (table `mailbox_acl`; each
 * backend keeps its schema): one row per mailbox and grantee with its rights string; an empty
 * rights string removes the grant. Account and mailbox ids are never reused, so rows left by a
 * deleted account are inert.
 *
 * @module
 */
import type { AccountId, MailboxId } from "../../types.ts";
import type { MailboxAclStore, MailboxGrant } from "../mailbox_acl.ts";
import { all, type RecordDb, run } from "./db.ts";

interface Row {
  owner_id: string;
  mailbox_id: string;
  grantee: string;
  rights: string;
}

function grant(r: Row): MailboxGrant {
  return { ownerId: r.owner_id, mailboxId: r.mailbox_id, grantee: r.grantee, rights: r.rights };
}

/** Mailbox ACLs over either backend. */
export class SqlMailboxAclStore implements MailboxAclStore {
  /** @param db the backend, its "mailbox_acl" schema applied */
  constructor(protected readonly db: RecordDb) {}

  /** The grants of one mailbox, by grantee. */
  async list(ownerId: AccountId, mailboxId: MailboxId): Promise<MailboxGrant[]> {
    return (await this.db.read(all<Row>(
      `SELECT * FROM mailbox_acl WHERE owner_id = ? AND mailbox_id = ? ORDER BY grantee${this.db.dialect.bytes}`,
      ownerId,
      mailboxId,
    ))).map(grant);
  }

  /** The grants given to a grantee. */
  async listForGrantee(grantee: string): Promise<MailboxGrant[]> {
    const b = this.db.dialect.bytes;
    return (await this.db.read(all<Row>(
      `SELECT * FROM mailbox_acl WHERE grantee = ? ORDER BY owner_id${b}, mailbox_id${b}`,
      grantee,
    ))).map(grant);
  }

  /** The grants on an owner's mailboxes. */
  async listForOwner(ownerId: AccountId): Promise<MailboxGrant[]> {
    const b = this.db.dialect.bytes;
    return (await this.db.read(all<Row>(
      `SELECT * FROM mailbox_acl WHERE owner_id = ? ORDER BY mailbox_id${b}, grantee${b}`,
      ownerId,
    ))).map(grant);
  }

  /** Sets a grantee's rights on a mailbox ("" removes the grant). */
  async set(ownerId: AccountId, mailboxId: MailboxId, grantee: string, rights: string): Promise<void> {
    if (grantee.length > 512 || rights.length > 32) throw new RangeError("ACL entry too long");
    if (rights === "") {
      await this.db.write(run(
        "DELETE FROM mailbox_acl WHERE owner_id = ? AND mailbox_id = ? AND grantee = ?",
        ownerId,
        mailboxId,
        grantee,
      ));
      return;
    }
    await this.db.write(run(
      `INSERT INTO mailbox_acl (owner_id, mailbox_id, grantee, rights) VALUES (?, ?, ?, ?)
       ON CONFLICT (owner_id, mailbox_id, grantee) DO UPDATE SET rights = excluded.rights`,
      ownerId,
      mailboxId,
      grantee,
      rights,
    ));
  }

  /** Drops every grant of a mailbox (it was deleted). */
  async removeMailbox(ownerId: AccountId, mailboxId: MailboxId): Promise<void> {
    await this.db.write(
      run("DELETE FROM mailbox_acl WHERE owner_id = ? AND mailbox_id = ?", ownerId, mailboxId),
    );
  }
}
