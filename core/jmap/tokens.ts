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
import type { ApiTokenInfo, TokenScope, TokenStore } from "../store/records/tokens.ts";

/** Prefix of every Tern API token (lets secret scanners and logs recognise them). */
export const TOKEN_PREFIX = "tern_";

export type { ApiTokenInfo, TokenScope, TokenStore } from "../store/records/tokens.ts";

/** How precisely `lastUsed` is kept. */
const LAST_USED_RESOLUTION_MS = 3_600_000;

function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Creates and checks API tokens of all accounts over the store's token records. */
export class ApiTokens {
  readonly #tokens: TokenStore;
  readonly #clock: Clock;

  /** @param tokens the store's token records (`Store.tokens`) */
  constructor(tokens: TokenStore, clock: Clock = systemClock) {
    this.#tokens = tokens;
    this.#clock = clock;
  }

  /** Creates a token for an account; the secret is returned once and never stored. */
  async create(
    accountId: AccountId,
    name: string,
    scope: TokenScope = "account",
  ): Promise<{ token: string; info: ApiTokenInfo }> {
    const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
    const info = { id: crypto.randomUUID(), accountId, name, scope, created: this.#clock.now() };
    await this.#tokens.insert(info, hashToken(token));
    return { token, info: { ...info, lastUsed: null } };
  }

  /** The account a token belongs to, or null for an unknown or revoked token. */
  async verify(token: string): Promise<AccountId | null> {
    return (await this.verifyInfo(token))?.accountId ?? null;
  }

  /** The record of a valid token (account and scope), or null for an unknown or revoked token. */
  async verifyInfo(token: string): Promise<ApiTokenInfo | null> {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
    const hash = hashToken(token);
    const found = await this.#tokens.findByHash(hash);
    if (!found) return null;
    // The lookup is by hash already; compare again in constant time for defence in depth.
    if (!timingSafeEqual(Buffer.from(found.hash), Buffer.from(hash))) return null;
    // Record use at most hourly: a write (and its fsync) on every request would cost more than the request.
    const now = this.#clock.now();
    const last = found.info.lastUsed;
    if (last === null || now.getTime() - last.getTime() > LAST_USED_RESOLUTION_MS) {
      await this.#tokens.touch(found.info.id, now);
    }
    return found.info;
  }
}

/** Every token scope, narrowest first. */
export const TOKEN_SCOPES: readonly TokenScope[] = ["read-only", "account", "org-admin", "platform-admin"];

/** True when `s` names a token scope. */
export function isTokenScope(s: string): s is TokenScope {
  return (TOKEN_SCOPES as readonly string[]).includes(s);
}

/**
 * `tern token create <address> [--name NAME] [--scope SCOPE]`: creates an API token for the account
 * with that address. Throws a TypeError when the account does not exist.
 *
 * @returns the secret token (shown once) and its id (for `tern token revoke`)
 */
export async function createToken(
  store: Store,
  address: string,
  name = "cli",
  scope: TokenScope = "account",
): Promise<{ token: string; id: string; accountId: AccountId }> {
  const account = await store.getAccountByAddress(address);
  if (!account) throw new TypeError(`Unknown account: "${address}"`);
  const { token, info } = await new ApiTokens(store.tokens).create(account.id, name, scope);
  return { token, id: info.id, accountId: account.id };
}

/** `tern token revoke <id>`: true when the token existed. */
export function revokeToken(store: Store, id: string): Promise<boolean> {
  return store.tokens.revoke(id);
}

/** `tern token list [address]`. */
export async function listTokens(store: Store, address?: string): Promise<ApiTokenInfo[]> {
  if (address === undefined) return store.tokens.list();
  const account = await store.getAccountByAddress(address);
  if (!account) throw new TypeError(`Unknown account: "${address}"`);
  return store.tokens.list(account.id);
}
