/**
 * The small record stores on PostgreSQL: JMAP identities, uploads, API tokens, vacation responses,
 * bans, DKIM keys, POP3 sizes and IMAP subscriptions. Each method is one statement or one
 * transaction; the semantics are those of the SQLite implementations (core/store/sqlite/records/)
 * and of tests/store/records_contract.ts.
 *
 * @module
 */
import type { AccountId, BlobId } from "../../types.ts";
import {
  defaultIdentityId,
  type Identity,
  type IdentityInput,
  type IdentityStore,
} from "../../records/identities.ts";
import type { UploadRecord, UploadStore } from "../../records/uploads.ts";
import type { VacationResponse, VacationStore } from "../../records/vacations.ts";
import type { Pop3SizeStore } from "../../records/pop3_sizes.ts";
import type { EmailAddress } from "../../types.ts";
import type { Sql } from "../connection.ts";
import { SqlBanStore } from "../../records/sql/bans.ts";
import { SqlDkimKeyStore } from "../../records/sql/dkim_keys.ts";
import { SqlSubscriptionStore } from "../../records/sql/subscriptions.ts";
import { SqlTokenStore } from "../../records/sql/tokens.ts";
import { PgDb } from "./db.ts";

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

/** JMAP uploads. */
export class PgUploadStore implements UploadStore {
  /** @param sql the pool */
  constructor(readonly sql: Sql) {}

  /** Records an upload (a re-upload refreshes type and time). */
  async record(
    accountId: AccountId,
    blobId: BlobId,
    type: string,
    size: number,
    now: Date,
  ): Promise<UploadRecord> {
    const created = now.getTime();
    await this.sql`INSERT INTO jmap_uploads (account_id, blob_id, type, size, created)
      VALUES (${accountId}, ${blobId}, ${type}, ${size}, ${created})
      ON CONFLICT (account_id, blob_id) DO UPDATE SET type = excluded.type, created = excluded.created`;
    return { accountId, blobId, type, size, created: new Date(created) };
  }

  /** An upload of the account, or null. */
  async get(accountId: AccountId, blobId: BlobId): Promise<UploadRecord | null> {
    const [r] = await this.sql<{ type: string; size: number; created: number }[]>`
      SELECT type, size, created FROM jmap_uploads WHERE account_id = ${accountId} AND blob_id = ${blobId}`;
    return r ? { accountId, blobId, type: r.type, size: r.size, created: new Date(r.created) } : null;
  }
}

/** API token hashes. */
export class PgTokenStore extends SqlTokenStore {
  /** @param sql the pool */
  constructor(sql: Sql) {
    super(new PgDb(sql));
  }
}

interface VacationRow {
  is_enabled: boolean;
  from_date: number | null;
  to_date: number | null;
  subject: string | null;
  text_body: string | null;
  html_body: string | null;
  state: number;
}

/** JMAP VacationResponse objects and who was answered. */
export class PgVacationStore implements VacationStore {
  /** @param sql the pool */
  constructor(readonly sql: Sql) {}

  /** The account's vacation response and its state. */
  async get(accountId: AccountId): Promise<{ value: VacationResponse; state: string }> {
    const [row] = await this.sql<VacationRow[]>`SELECT * FROM jmap_vacation WHERE account_id = ${accountId}`;
    return {
      value: {
        id: "singleton",
        isEnabled: row ? row.is_enabled : false,
        fromDate: row?.from_date ? new Date(row.from_date) : null,
        toDate: row?.to_date ? new Date(row.to_date) : null,
        subject: row?.subject ?? null,
        textBody: row?.text_body ?? null,
        htmlBody: row?.html_body ?? null,
      },
      state: String(row?.state ?? 0),
    };
  }

  /** Replaces the response; returns the new state. */
  async set(accountId: AccountId, v: VacationResponse): Promise<string> {
    return await this.sql.begin(async (tx) => {
      const [row] = await tx<{ state: number }[]>`
        INSERT INTO jmap_vacation (account_id, is_enabled, from_date, to_date, subject, text_body, html_body, state)
        VALUES (${accountId}, ${v.isEnabled}, ${v.fromDate?.getTime() ?? null}, ${
        v.toDate?.getTime() ?? null
      },
          ${v.subject}, ${v.textBody}, ${v.htmlBody}, 1)
        ON CONFLICT (account_id) DO UPDATE SET is_enabled = excluded.is_enabled, from_date = excluded.from_date,
          to_date = excluded.to_date, subject = excluded.subject, text_body = excluded.text_body,
          html_body = excluded.html_body, state = jmap_vacation.state + 1
        RETURNING state`;
      // A changed response may be sent again to everyone (RFC 3834 §2 leaves this to the responder).
      await tx`DELETE FROM jmap_vacation_sent WHERE account_id = ${accountId}`;
      return String(row!.state);
    }) as string;
  }

  /** True (and recorded) when the sender was not answered within the period (RFC 3834 §2). */
  async claimReply(accountId: AccountId, sender: string, now: Date, periodMs: number): Promise<boolean> {
    const key = sender.toLowerCase();
    const t = now.getTime();
    const rows = await this.sql`INSERT INTO jmap_vacation_sent (account_id, sender, sent_at)
      VALUES (${accountId}, ${key}, ${t})
      ON CONFLICT (account_id, sender) DO UPDATE SET sent_at = excluded.sent_at
        WHERE ${t} - jmap_vacation_sent.sent_at >= ${periodMs}
      RETURNING sent_at`;
    return rows.length > 0;
  }
}

/** Authentication-failure bans. */
export class PgBanStore extends SqlBanStore {
  /** @param sql the pool */
  constructor(sql: Sql) {
    super(new PgDb(sql));
  }
}

/** DKIM signing keys: one per domain and algorithm (RFC 8463 §1). */
export class PgDkimKeyStore extends SqlDkimKeyStore {
  /** @param sql the pool */
  constructor(sql: Sql) {
    super(new PgDb(sql));
  }
}

/** POP3 CRLF sizes per blob; a size goes with its blob's row. */
export class PgPop3SizeStore implements Pop3SizeStore {
  /** @param sql the pool */
  constructor(readonly sql: Sql) {}

  /** Known sizes of these blobs. */
  async get(blobIds: BlobId[]): Promise<Map<BlobId, number>> {
    const out = new Map<BlobId, number>();
    const unique = [...new Set(blobIds)];
    if (unique.length === 0) return out;
    const rows = await this.sql<{ blob_id: string; size: number }[]>`
      SELECT blob_id, size FROM pop3_virtual_sizes WHERE blob_id = ANY(${unique}::text[])`;
    for (const r of rows) out.set(r.blob_id, r.size);
    return out;
  }

  /** Stores sizes of blobs that still have a row. */
  async put(sizes: Map<BlobId, number>): Promise<void> {
    if (sizes.size === 0) return;
    await this.sql.begin(async (tx) => {
      for (const [blobId, size] of sizes) {
        await tx`INSERT INTO pop3_virtual_sizes (blob_id, size)
          SELECT ${blobId}, ${size} WHERE EXISTS (SELECT 1 FROM blobs WHERE hash = ${blobId})
          ON CONFLICT DO NOTHING`;
      }
    });
  }
}

/** IMAP subscriptions that outlived their mailbox (RFC 9051 §6.3.7). */
export class PgSubscriptionStore extends SqlSubscriptionStore {
  /** @param sql the pool */
  constructor(sql: Sql) {
    super(new PgDb(sql));
  }
}
