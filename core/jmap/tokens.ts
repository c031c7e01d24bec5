/**
 * JMAP API tokens (HTTP Bearer): created by `tern token create`, revocable, stored as SHA-256
 * hashes only. A token is `tern_` + 43 base64url characters (256 random bits).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { AccountId } from "../store/types.ts";
import type { Store } from "../store/store.ts";
import { type Clock, systemClock } from "../clock.ts";
import type { JmapSql } from "./sql.ts";
import { sqlFromStore } from "./sql.ts";
import { ensureJmapSchema } from "./schema.ts";

/** Prefix of every Tern API token (lets secret scanners and logs recognise them). */
export const TOKEN_PREFIX = "tern_";

/** A stored token's public description (never the secret). */
export interface ApiTokenInfo {
  id: string;
  accountId: AccountId;
  name: string;
  created: Date;
  lastUsed: Date | null;
}

interface TokenRow {
  id: string;
  account_id: string;
  name: string;
  hash: string;
  created: number;
  last_used: number | null;
}

/** How precisely `lastUsed` is kept. */
const LAST_USED_RESOLUTION_MS = 3_600_000;

function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

function toInfo(row: TokenRow): ApiTokenInfo {
  return {
    id: row.id,
    accountId: row.account_id,
    name: row.name,
    created: new Date(row.created),
    lastUsed: row.last_used === null ? null : new Date(row.last_used),
  };
}

/** API tokens of all accounts. */
export class ApiTokens {
  readonly #sql: JmapSql;
  readonly #clock: Clock;

  /** @param sql the store database; the JMAP schema is applied if needed */
  constructor(sql: JmapSql, clock: Clock = systemClock) {
    ensureJmapSchema(sql);
    this.#sql = sql;
    this.#clock = clock;
  }

  /** Creates a token for an account; the secret is returned once and never stored. */
  create(accountId: AccountId, name: string): { token: string; info: ApiTokenInfo } {
    const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
    const id = crypto.randomUUID();
    const created = this.#clock.now().getTime();
    this.#sql.run(
      "INSERT INTO jmap_tokens (id, account_id, name, hash, created) VALUES (?, ?, ?, ?, ?)",
      id,
      accountId,
      name,
      hashToken(token),
      created,
    );
    return { token, info: { id, accountId, name, created: new Date(created), lastUsed: null } };
  }

  /** The account a token belongs to, or null for an unknown or revoked token. */
  verify(token: string): AccountId | null {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
    const hash = hashToken(token);
    const row = this.#sql.get<TokenRow>("SELECT * FROM jmap_tokens WHERE hash = ?", hash);
    if (!row) return null;
    // The lookup is by hash already; compare again in constant time for defence in depth.
    if (!timingSafeEqual(Buffer.from(row.hash), Buffer.from(hash))) return null;
    // Record use at most hourly: a write (and its fsync) on every request would cost more than the request.
    const now = this.#clock.now().getTime();
    if (row.last_used === null || now - row.last_used > LAST_USED_RESOLUTION_MS) {
      this.#sql.run("UPDATE jmap_tokens SET last_used = ? WHERE id = ?", now, row.id);
    }
    return row.account_id;
  }

  /** Tokens of one account (or all accounts). */
  list(accountId?: AccountId): ApiTokenInfo[] {
    const rows = accountId === undefined
      ? this.#sql.all<TokenRow>("SELECT * FROM jmap_tokens ORDER BY created")
      : this.#sql.all<TokenRow>("SELECT * FROM jmap_tokens WHERE account_id = ? ORDER BY created", accountId);
    return rows.map(toInfo);
  }

  /** Revokes a token by id; true when it existed. */
  revoke(id: string): boolean {
    return this.#sql.run("DELETE FROM jmap_tokens WHERE id = ?", id).changes > 0;
  }

  /** Revokes every token of an account (e.g. when it is deleted or its password reset). */
  revokeAll(accountId: AccountId): number {
    return this.#sql.run("DELETE FROM jmap_tokens WHERE account_id = ?", accountId).changes;
  }
}

/**
 * `tern token create <address> [--name NAME]`: creates an API token for the account with that
 * address. Throws a TypeError when the account does not exist.
 *
 * @returns the secret token (shown once) and its id (for `tern token revoke`)
 */
export async function createToken(
  store: Store,
  address: string,
  name = "cli",
): Promise<{ token: string; id: string; accountId: AccountId }> {
  const account = await store.getAccountByAddress(address);
  if (!account) throw new TypeError(`Unknown account: "${address}"`);
  const { token, info } = new ApiTokens(sqlFromStore(store)).create(account.id, name);
  return { token, id: info.id, accountId: account.id };
}

/** `tern token revoke <id>`: true when the token existed. */
export function revokeToken(store: Store, id: string): boolean {
  return new ApiTokens(sqlFromStore(store)).revoke(id);
}

/** `tern token list [address]`. */
export async function listTokens(store: Store, address?: string): Promise<ApiTokenInfo[]> {
  const tokens = new ApiTokens(sqlFromStore(store));
  if (address === undefined) return tokens.list();
  const account = await store.getAccountByAddress(address);
  if (!account) throw new TypeError(`Unknown account: "${address}"`);
  return tokens.list(account.id);
}
