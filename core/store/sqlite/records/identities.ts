/**
 * SQLite implementation of `IdentityStore` (table `jmap_identities`).
 *
 * @module
 */
import type { Clock } from "../../../clock.ts";
import type { AccountId } from "../../types.ts";
import {
  defaultIdentityId,
  type Identity,
  type IdentityInput,
  type IdentityStore,
} from "../../records/identities.ts";
import type { Database } from "../database.ts";

interface IdentityRow {
  id: string;
  account_id: string;
  name: string;
  email: string;
  reply_to: string | null;
  bcc: string | null;
  text_signature: string;
  html_signature: string;
  created: number;
}

function toIdentity(row: IdentityRow): Identity {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    replyTo: row.reply_to === null ? null : JSON.parse(row.reply_to),
    bcc: row.bcc === null ? null : JSON.parse(row.bcc),
    textSignature: row.text_signature,
    htmlSignature: row.html_signature,
    mayDelete: row.id !== defaultIdentityId(row.account_id),
  };
}

/** Identities in the store database. */
export class SqliteIdentityStore implements IdentityStore {
  readonly #db: Database;
  readonly #clock: Clock;

  /** @param db the store database, JMAP schema applied */
  constructor(db: Database, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  #rows(accountId: AccountId): IdentityRow[] {
    return this.#db.all<IdentityRow>(
      "SELECT * FROM jmap_identities WHERE account_id = ? ORDER BY created, id",
      accountId,
    );
  }

  #get(accountId: AccountId, id: string): Identity | null {
    const row = this.#db.get<IdentityRow>(
      "SELECT * FROM jmap_identities WHERE account_id = ? AND id = ?",
      accountId,
      id,
    );
    return row ? toIdentity(row) : null;
  }

  list(accountId: AccountId, account: { address: string; displayName: string }): Promise<Identity[]> {
    const id = defaultIdentityId(accountId);
    const existing = this.#rows(accountId);
    if (existing.some((r) => r.id === id)) return Promise.resolve(existing.map(toIdentity));
    // The default identity sorts first (created 0).
    this.#db.run(
      "INSERT OR IGNORE INTO jmap_identities (id, account_id, name, email, text_signature, html_signature, created) " +
        "VALUES (?, ?, ?, ?, '', '', 0)",
      id,
      accountId,
      account.displayName,
      account.address,
    );
    return Promise.resolve(this.#rows(accountId).map(toIdentity));
  }

  get(accountId: AccountId, id: string): Promise<Identity | null> {
    return Promise.resolve(this.#get(accountId, id));
  }

  create(accountId: AccountId, input: IdentityInput & { email: string }): Promise<Identity> {
    const id = crypto.randomUUID();
    this.#db.run(
      "INSERT INTO jmap_identities (id, account_id, name, email, reply_to, bcc, text_signature, html_signature, created) " +
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      id,
      accountId,
      input.name ?? "",
      input.email,
      input.replyTo ? JSON.stringify(input.replyTo) : null,
      input.bcc ? JSON.stringify(input.bcc) : null,
      input.textSignature ?? "",
      input.htmlSignature ?? "",
      this.#clock.now().getTime(),
    );
    return Promise.resolve(this.#get(accountId, id)!);
  }

  update(accountId: AccountId, id: string, patch: Omit<IdentityInput, "email">): Promise<Identity | null> {
    const current = this.#get(accountId, id);
    if (!current) return Promise.resolve(null);
    const next = { ...current, ...patch };
    this.#db.run(
      "UPDATE jmap_identities SET name = ?, reply_to = ?, bcc = ?, text_signature = ?, html_signature = ? " +
        "WHERE account_id = ? AND id = ?",
      next.name,
      next.replyTo ? JSON.stringify(next.replyTo) : null,
      next.bcc ? JSON.stringify(next.bcc) : null,
      next.textSignature,
      next.htmlSignature,
      accountId,
      id,
    );
    return Promise.resolve(this.#get(accountId, id));
  }

  delete(accountId: AccountId, id: string): Promise<boolean> {
    return Promise.resolve(
      this.#db.run("DELETE FROM jmap_identities WHERE account_id = ? AND id = ?", accountId, id).changes > 0,
    );
  }
}
