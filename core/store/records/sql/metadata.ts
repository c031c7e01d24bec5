/**
 * `MetadataStore` (IMAP METADATA, RFC 5464) in SQL, shared by SQLite and PostgreSQL (table
 * `imap_metadata`; each backend keeps its schema): per account, mailbox ("" for server entries) and
 * owner (the user for `/private` entries, "" for `/shared`), values as bytes.
 *
 * @module
 */
import type { AccountId } from "../../types.ts";
import type { MetadataChange, MetadataEntry, MetadataStore } from "../metadata.ts";
import { all, get, type Op, type RecordDb, run } from "./db.ts";

function owner(name: string, userId: AccountId): string {
  return name.startsWith("/private") ? userId : "";
}

function* apply(
  accountId: AccountId,
  mailboxId: string,
  userId: AccountId,
  changes: MetadataChange[],
): Op<void> {
  for (const c of changes) {
    if (c.value === null) {
      yield* run(
        "DELETE FROM imap_metadata WHERE account_id = ? AND mailbox_id = ? AND user_id = ? AND name = ?",
        accountId,
        mailboxId,
        owner(c.name, userId),
        c.name,
      );
    } else {
      yield* run(
        `INSERT INTO imap_metadata (account_id, mailbox_id, user_id, name, value) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (account_id, mailbox_id, user_id, name) DO UPDATE SET value = excluded.value`,
        accountId,
        mailboxId,
        owner(c.name, userId),
        c.name,
        c.value,
      );
    }
  }
}

/** IMAP METADATA entries over either backend. */
export class SqlMetadataStore implements MetadataStore {
  /** @param db the backend, its "imap_metadata" schema applied */
  constructor(protected readonly db: RecordDb) {}

  /** The entries a user sees on a mailbox (shared and their own private ones), by name. */
  async list(accountId: AccountId, mailboxId: string, userId: AccountId): Promise<MetadataEntry[]> {
    const rows = await this.db.read(all<{ name: string; value: Uint8Array }>(
      `SELECT name, value FROM imap_metadata
       WHERE account_id = ? AND mailbox_id = ? AND (user_id = '' OR user_id = ?) ORDER BY name${this.db.dialect.bytes}`,
      accountId,
      mailboxId,
      userId,
    ));
    return rows.map((r) => ({ name: r.name, value: new Uint8Array(r.value) }));
  }

  /** Sets or (value null) removes entries, all in one transaction. */
  async apply(
    accountId: AccountId,
    mailboxId: string,
    userId: AccountId,
    changes: MetadataChange[],
  ): Promise<void> {
    await this.db.atomic(apply(accountId, mailboxId, userId, changes));
  }

  /** How many entries the account has. */
  async count(accountId: AccountId): Promise<number> {
    const row = await this.db.read(
      get<{ n: number }>("SELECT count(*) AS n FROM imap_metadata WHERE account_id = ?", accountId),
    );
    return Number(row?.n ?? 0);
  }

  /** Drops a mailbox's entries (it was deleted). */
  async removeMailbox(accountId: AccountId, mailboxId: string): Promise<void> {
    await this.db.write(
      run("DELETE FROM imap_metadata WHERE account_id = ? AND mailbox_id = ?", accountId, mailboxId),
    );
  }
}
