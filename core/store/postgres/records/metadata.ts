/**
 * IMAP METADATA entries (RFC 5464) on PostgreSQL: per account, mailbox ("" for server entries)
 * and owner (the user for `/private` entries, "" for `/shared`), values as bytes. Semantics as
 * core/store/sqlite/records/metadata.ts.
 *
 * @module
 */
import type { AccountId } from "../../types.ts";
import type { MetadataChange, MetadataEntry, MetadataStore } from "../../records/metadata.ts";
import type { PgMigration } from "../migrations.ts";
import type { Sql } from "../connection.ts";

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
function owner(name: string, userId: AccountId): string {
  return name.startsWith("/private") ? userId : "";
}

/** IMAP METADATA entries. */
export class PgMetadataStore implements MetadataStore {
  /** @param sql the pool */
  constructor(readonly sql: Sql) {}

  /** The entries a user sees on a mailbox (shared and their own private ones), by name. */
  async list(accountId: AccountId, mailboxId: string, userId: AccountId): Promise<MetadataEntry[]> {
    const rows = await this.sql<{ name: string; value: Uint8Array }[]>`
      SELECT name, value FROM imap_metadata
      WHERE account_id = ${accountId} AND mailbox_id = ${mailboxId} AND (user_id = '' OR user_id = ${userId})
      ORDER BY name COLLATE "C"`;
    return rows.map((r) => ({ name: r.name, value: new Uint8Array(r.value) }));
  }

  /** Sets or (value null) removes entries, all in one transaction. */
  async apply(
    accountId: AccountId,
    mailboxId: string,
    userId: AccountId,
    changes: MetadataChange[],
  ): Promise<void> {
    await this.sql.begin(async (tx) => {
      for (const c of changes) {
        if (c.value === null) {
          await tx`DELETE FROM imap_metadata WHERE account_id = ${accountId} AND mailbox_id = ${mailboxId}
            AND user_id = ${owner(c.name, userId)} AND name = ${c.name}`;
        } else {
          await tx`INSERT INTO imap_metadata (account_id, mailbox_id, user_id, name, value)
            VALUES (${accountId}, ${mailboxId}, ${owner(c.name, userId)}, ${c.name}, ${c.value})
            ON CONFLICT (account_id, mailbox_id, user_id, name) DO UPDATE SET value = excluded.value`;
        }
      }
    });
  }

  /** How many entries the account has. */
  async count(accountId: AccountId): Promise<number> {
    const [r] = await this.sql<{ n: number }[]>`SELECT count(*)::bigint AS n FROM imap_metadata
      WHERE account_id = ${accountId}`;
    return r?.n ?? 0;
  }

  /** Drops a mailbox's entries (it was deleted). */
  async removeMailbox(accountId: AccountId, mailboxId: string): Promise<void> {
    await this.sql`DELETE FROM imap_metadata WHERE account_id = ${accountId} AND mailbox_id = ${mailboxId}`;
  }
}
