/**
 * API token records (`Store.tokens`): only the SHA-256 hash of each secret is stored. Generating
 * and checking tokens is backend-neutral and lives in core/jmap/tokens.ts (`ApiTokens`).
 *
 * @module
 */
import type { AccountId } from "../types.ts";

/**
 * What a token may do (core/authz): `read-only` (reads within its account's role), `account` (its
 * own account), `org-admin` (its organization, when the account administers it), `platform-admin`
 * (everything, when the account is a platform administrator). A scope never exceeds the account's role.
 */
export type TokenScope = "read-only" | "account" | "org-admin" | "platform-admin";

/** A stored token's public description (never the secret). */
export interface ApiTokenInfo {
  id: string;
  accountId: AccountId;
  name: string;
  /** Default `account` (every token made before scopes existed). */
  scope?: TokenScope;
  created: Date;
  lastUsed: Date | null;
}

/** Token records of all accounts. */
export interface TokenStore {
  /** Stores a new token record; `hash` is unique. */
  insert(info: Omit<ApiTokenInfo, "lastUsed">, hash: string): Promise<void>;
  /** The record with this hash, or null. */
  findByHash(hash: string): Promise<{ info: ApiTokenInfo; hash: string } | null>;
  /** Records a use of a token. */
  touch(id: string, at: Date): Promise<void>;
  /** Tokens of one account (or of all), oldest first. */
  list(accountId?: AccountId): Promise<ApiTokenInfo[]>;
  /** Deletes a token; true when it existed. */
  revoke(id: string): Promise<boolean>;
}
