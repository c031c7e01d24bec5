/**
 * SQLite implementation of `MailboxAclStore` (component "mailbox_acl", table `mailbox_acl`).
 * Account and mailbox ids are never reused, so rows left by a deleted account are inert.
 *
 * @module
 */
import type { AccountId, MailboxId } from "../../types.ts";
import type { MailboxAclStore, MailboxGrant } from "../../records/mailbox_acl.ts";
import type { Database } from "../database.ts";

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

interface Row {
  owner_id: string;
  mailbox_id: string;
  grantee: string;
  rights: string;
}

function grant(r: Row): MailboxGrant {
  return { ownerId: r.owner_id, mailboxId: r.mailbox_id, grantee: r.grantee, rights: r.rights };
}

/** Mailbox ACLs in the store database. */
export class SqliteMailboxAclStore implements MailboxAclStore {
  readonly #db: Database;

  /** @param db the store database, "mailbox_acl" schema applied */
  constructor(db: Database) {
    this.#db = db;
  }

  list(ownerId: AccountId, mailboxId: MailboxId): Promise<MailboxGrant[]> {
    return Promise.resolve(
      this.#db.all<Row>(
        "SELECT * FROM mailbox_acl WHERE owner_id = ? AND mailbox_id = ? ORDER BY grantee",
        ownerId,
        mailboxId,
      ).map(grant),
    );
  }

  listForGrantee(grantee: string): Promise<MailboxGrant[]> {
    return Promise.resolve(
      this.#db.all<Row>(
        "SELECT * FROM mailbox_acl WHERE grantee = ? ORDER BY owner_id, mailbox_id",
        grantee,
      ).map(grant),
    );
  }

  listForOwner(ownerId: AccountId): Promise<MailboxGrant[]> {
    return Promise.resolve(
      this.#db.all<Row>(
        "SELECT * FROM mailbox_acl WHERE owner_id = ? ORDER BY mailbox_id, grantee",
        ownerId,
      ).map(grant),
    );
  }

  set(ownerId: AccountId, mailboxId: MailboxId, grantee: string, rights: string): Promise<void> {
    if (grantee.length > 512 || rights.length > 32) {
      return Promise.reject(new RangeError("ACL entry too long"));
    }
    if (rights === "") {
      this.#db.run(
        "DELETE FROM mailbox_acl WHERE owner_id = ? AND mailbox_id = ? AND grantee = ?",
        ownerId,
        mailboxId,
        grantee,
      );
    } else {
      this.#db.run(
        `INSERT INTO mailbox_acl (owner_id, mailbox_id, grantee, rights) VALUES (?, ?, ?, ?)
         ON CONFLICT (owner_id, mailbox_id, grantee) DO UPDATE SET rights = excluded.rights`,
        ownerId,
        mailboxId,
        grantee,
        rights,
      );
    }
    return Promise.resolve();
  }

  removeMailbox(ownerId: AccountId, mailboxId: MailboxId): Promise<void> {
    this.#db.run("DELETE FROM mailbox_acl WHERE owner_id = ? AND mailbox_id = ?", ownerId, mailboxId);
    return Promise.resolve();
  }
}
