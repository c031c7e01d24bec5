/**
 * JMAP Identity objects (RFC 8621 §6). Every account has a default identity for its own address,
 * created on first use; more may be created for addresses the account may send as.
 *
 * @module
 */
import type { AccountId, EmailAddress } from "../store/types.ts";
import { type Clock, systemClock } from "../clock.ts";
import type { JmapSql } from "./sql.ts";
import { ensureJmapSchema } from "./schema.ts";

/** An Identity (RFC 8621 §6). */
export interface Identity {
  id: string;
  name: string;
  email: string;
  replyTo: EmailAddress[] | null;
  bcc: EmailAddress[] | null;
  textSignature: string;
  htmlSignature: string;
  mayDelete: boolean;
}

/** Fields a client may set. */
export type IdentityInput = Partial<Omit<Identity, "id" | "mayDelete">>;

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

/** Default identity ids are derived from the account id so they are stable. */
export function defaultIdentityId(accountId: AccountId): string {
  return `i${accountId}`;
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

/** Identities of all accounts. */
export class Identities {
  readonly #sql: JmapSql;
  readonly #clock: Clock;

  /** @param sql the store database */
  constructor(sql: JmapSql, clock: Clock = systemClock) {
    ensureJmapSchema(sql);
    this.#sql = sql;
    this.#clock = clock;
  }

  /** Identities of an account; creates the default one (own address) when there is none. */
  list(accountId: AccountId, account: { address: string; displayName: string }): Identity[] {
    const id = defaultIdentityId(accountId);
    const rows = () =>
      this.#sql.all<IdentityRow>(
        "SELECT * FROM jmap_identities WHERE account_id = ? ORDER BY created, id",
        accountId,
      );
    const existing = rows();
    if (existing.some((r) => r.id === id)) return existing.map(toIdentity);
    this.#sql.run(
      "INSERT OR IGNORE INTO jmap_identities (id, account_id, name, email, text_signature, html_signature, created) " +
        "VALUES (?, ?, ?, ?, '', '', ?)",
      id,
      accountId,
      account.displayName,
      account.address,
      0,
    );
    return rows().map(toIdentity);
  }

  /** One identity of an account, or null. */
  get(accountId: AccountId, id: string): Identity | null {
    const row = this.#sql.get<IdentityRow>(
      "SELECT * FROM jmap_identities WHERE account_id = ? AND id = ?",
      accountId,
      id,
    );
    return row ? toIdentity(row) : null;
  }

  /** Creates an identity; the caller has checked the address may be sent as. */
  create(accountId: AccountId, input: IdentityInput & { email: string }): Identity {
    const id = crypto.randomUUID();
    this.#sql.run(
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
    return this.get(accountId, id)!;
  }

  /** Updates the mutable fields (everything but email); null when it does not exist. */
  update(accountId: AccountId, id: string, patch: Omit<IdentityInput, "email">): Identity | null {
    const current = this.get(accountId, id);
    if (!current) return null;
    const next = { ...current, ...patch };
    this.#sql.run(
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
    return this.get(accountId, id);
  }

  /** Deletes an identity; true when it existed. */
  delete(accountId: AccountId, id: string): boolean {
    return this.#sql.run("DELETE FROM jmap_identities WHERE account_id = ? AND id = ?", accountId, id)
      .changes > 0;
  }
}
