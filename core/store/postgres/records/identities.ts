/**
 * JMAP identities on PostgreSQL, whose reply-to and bcc are JSONB columns here (text on SQLite). The
 * other small record stores (uploads, API tokens, vacation responses, bans, DKIM keys, POP3 sizes,
 * IMAP subscriptions) are the shared ones of core/store/records/sql/.
 *
 * @module
 */
import type { AccountId } from "../../types.ts";
import {
  defaultIdentityId,
  type Identity,
  type IdentityInput,
  type IdentityStore,
} from "../../records/identities.ts";
import type { EmailAddress } from "../../types.ts";
import type { Sql } from "../connection.ts";

interface IdentityRow {
  id: string;
  account_id: string;
  name: string;
  email: string;
  reply_to: EmailAddress[] | null;
  bcc: EmailAddress[] | null;
  text_signature: string;
  html_signature: string;
}

function toIdentity(row: IdentityRow): Identity {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    replyTo: row.reply_to,
    bcc: row.bcc,
    textSignature: row.text_signature,
    htmlSignature: row.html_signature,
    mayDelete: row.id !== defaultIdentityId(row.account_id),
  };
}

type Json = Parameters<Sql["json"]>[0];

/** JMAP Identity objects. */
export class PgIdentityStore implements IdentityStore {
  /** @param sql the pool @param now the clock in ms */
  constructor(readonly sql: Sql, readonly now: () => number) {}

  async #rows(accountId: AccountId): Promise<IdentityRow[]> {
    return await this.sql<IdentityRow[]>`SELECT * FROM jmap_identities WHERE account_id = ${accountId}
      ORDER BY created, id COLLATE "C"`;
  }

  /** The account's identities; the default one is made on first listing. */
  async list(accountId: AccountId, account: { address: string; displayName: string }): Promise<Identity[]> {
    const id = defaultIdentityId(accountId);
    const existing = await this.#rows(accountId);
    if (existing.some((r) => r.id === id)) return existing.map(toIdentity);
    // The default identity sorts first (created 0).
    await this
      .sql`INSERT INTO jmap_identities (id, account_id, name, email, text_signature, html_signature, created)
      VALUES (${id}, ${accountId}, ${account.displayName}, ${account.address}, '', '', 0) ON CONFLICT DO NOTHING`;
    return (await this.#rows(accountId)).map(toIdentity);
  }

  /** One identity, or null. */
  async get(accountId: AccountId, id: string): Promise<Identity | null> {
    const [row] = await this.sql<IdentityRow[]>`SELECT * FROM jmap_identities
      WHERE account_id = ${accountId} AND id = ${id}`;
    return row ? toIdentity(row) : null;
  }

  /** Creates an identity. */
  async create(accountId: AccountId, input: IdentityInput & { email: string }): Promise<Identity> {
    const id = crypto.randomUUID();
    const json = (v: EmailAddress[] | null | undefined) => (v ? this.sql.json(v as unknown as Json) : null);
    await this.sql`INSERT INTO jmap_identities (id, account_id, name, email, reply_to, bcc, text_signature,
        html_signature, created)
      VALUES (${id}, ${accountId}, ${input.name ?? ""}, ${input.email}, ${json(input.replyTo)}, ${
      json(input.bcc)
    },
        ${input.textSignature ?? ""}, ${input.htmlSignature ?? ""}, ${this.now()})`;
    return (await this.get(accountId, id))!;
  }

  /** Patches an identity (never its email); null when unknown. */
  async update(
    accountId: AccountId,
    id: string,
    patch: Omit<IdentityInput, "email">,
  ): Promise<Identity | null> {
    const current = await this.get(accountId, id);
    if (!current) return null;
    const next = { ...current, ...patch };
    const json = (v: EmailAddress[] | null | undefined) => (v ? this.sql.json(v as unknown as Json) : null);
    await this.sql`UPDATE jmap_identities SET name = ${next.name}, reply_to = ${json(next.replyTo)},
      bcc = ${json(next.bcc)}, text_signature = ${next.textSignature}, html_signature = ${next.htmlSignature}
      WHERE account_id = ${accountId} AND id = ${id}`;
    return await this.get(accountId, id);
  }

  /** Deletes an identity. */
  async delete(accountId: AccountId, id: string): Promise<boolean> {
    const r = await this.sql`DELETE FROM jmap_identities WHERE account_id = ${accountId} AND id = ${id}`;
    return r.count > 0;
  }
}
