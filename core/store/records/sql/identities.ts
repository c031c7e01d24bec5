/**
 * `IdentityStore` (JMAP Identity, RFC 8621 §6) in SQL, shared by SQLite and PostgreSQL (table
 * `jmap_identities`; each backend keeps its schema). Reply-to and bcc are JSON: TEXT on SQLite,
 * JSONB on PostgreSQL, written as JSON text either way; a JSONB value arrives parsed.
 *
 * @module
 */
import type { AccountId, EmailAddress } from "../../types.ts";
import { defaultIdentityId, type Identity, type IdentityInput, type IdentityStore } from "../identities.ts";
import { all, get, type Op, type RecordDb, run } from "./db.ts";

interface IdentityRow {
  id: string;
  account_id: string;
  name: string;
  email: string;
  /** JSON text (SQLite), or the parsed JSONB value (PostgreSQL). */
  reply_to: string | EmailAddress[] | null;
  bcc: string | EmailAddress[] | null;
  text_signature: string;
  html_signature: string;
}

/** A JSON column's value: text is parsed, a JSONB value is already. */
function addresses(v: string | EmailAddress[] | null): EmailAddress[] | null {
  return typeof v === "string" ? JSON.parse(v) as EmailAddress[] : v;
}

/** A list of addresses as JSON text, or null. */
function json(v: EmailAddress[] | null | undefined): string | null {
  return v ? JSON.stringify(v) : null;
}

function toIdentity(row: IdentityRow): Identity {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    replyTo: addresses(row.reply_to),
    bcc: addresses(row.bcc),
    textSignature: row.text_signature,
    htmlSignature: row.html_signature,
    mayDelete: row.id !== defaultIdentityId(row.account_id),
  };
}

function getIdentity(accountId: AccountId, id: string): Op<IdentityRow | undefined> {
  return get<IdentityRow>("SELECT * FROM jmap_identities WHERE account_id = ? AND id = ?", accountId, id);
}

/** JMAP Identity objects over either backend. */
export class SqlIdentityStore implements IdentityStore {
  /**
   * @param db the backend, its JMAP schema applied
   * @param now the clock in ms (creation times)
   */
  constructor(protected readonly db: RecordDb, readonly now: () => number) {}

  #rows(accountId: AccountId): Promise<IdentityRow[]> {
    return this.db.read(all<IdentityRow>(
      `SELECT * FROM jmap_identities WHERE account_id = ? ORDER BY created, id${this.db.dialect.bytes}`,
      accountId,
    ));
  }

  /** The account's identities; the default one is made on first listing. */
  async list(accountId: AccountId, account: { address: string; displayName: string }): Promise<Identity[]> {
    const id = defaultIdentityId(accountId);
    const existing = await this.#rows(accountId);
    if (existing.some((r) => r.id === id)) return existing.map(toIdentity);
    // The default identity sorts first (created 0).
    await this.db.write(run(
      "INSERT INTO jmap_identities (id, account_id, name, email, text_signature, html_signature, created) " +
        "VALUES (?, ?, ?, ?, '', '', 0) ON CONFLICT DO NOTHING",
      id,
      accountId,
      account.displayName,
      account.address,
    ));
    return (await this.#rows(accountId)).map(toIdentity);
  }

  /** One identity, or null. */
  async get(accountId: AccountId, id: string): Promise<Identity | null> {
    const row = await this.db.read(getIdentity(accountId, id));
    return row ? toIdentity(row) : null;
  }

  /** Creates an identity. */
  async create(accountId: AccountId, input: IdentityInput & { email: string }): Promise<Identity> {
    const id = crypto.randomUUID();
    await this.db.write(run(
      "INSERT INTO jmap_identities (id, account_id, name, email, reply_to, bcc, text_signature, html_signature, created) " +
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      id,
      accountId,
      input.name ?? "",
      input.email,
      json(input.replyTo),
      json(input.bcc),
      input.textSignature ?? "",
      input.htmlSignature ?? "",
      this.now(),
    ));
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
    await this.db.write(run(
      "UPDATE jmap_identities SET name = ?, reply_to = ?, bcc = ?, text_signature = ?, html_signature = ? " +
        "WHERE account_id = ? AND id = ?",
      next.name,
      json(next.replyTo),
      json(next.bcc),
      next.textSignature,
      next.htmlSignature,
      accountId,
      id,
    ));
    return await this.get(accountId, id);
  }

  /** Deletes an identity. */
  async delete(accountId: AccountId, id: string): Promise<boolean> {
    return (await this.db.write(
      run("DELETE FROM jmap_identities WHERE account_id = ? AND id = ?", accountId, id),
    )) > 0;
  }
}
