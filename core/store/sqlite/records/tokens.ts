/**
 * SQLite implementation of `TokenStore` (table `jmap_tokens`: hashes only).
 *
 * @module
 */
import type { AccountId } from "../../types.ts";
import type { ApiTokenInfo, TokenScope, TokenStore } from "../../records/tokens.ts";
import type { Database } from "../database.ts";

interface TokenRow {
  id: string;
  account_id: string;
  name: string;
  hash: string;
  created: number;
  last_used: number | null;
  scope: string | null;
}

const SCOPES: readonly string[] = ["read-only", "account", "org-admin", "platform-admin"];

function toInfo(row: TokenRow): ApiTokenInfo {
  return {
    id: row.id,
    accountId: row.account_id,
    name: row.name,
    scope: (row.scope !== null && SCOPES.includes(row.scope) ? row.scope : "account") as TokenScope,
    created: new Date(row.created),
    lastUsed: row.last_used === null ? null : new Date(row.last_used),
  };
}

/** Token records in the store database. */
export class SqliteTokenStore implements TokenStore {
  readonly #db: Database;

  /** @param db the store database, JMAP schema applied */
  constructor(db: Database) {
    this.#db = db;
  }

  insert(info: Omit<ApiTokenInfo, "lastUsed">, hash: string): Promise<void> {
    this.#db.run(
      "INSERT INTO jmap_tokens (id, account_id, name, hash, created, scope) VALUES (?, ?, ?, ?, ?, ?)",
      info.id,
      info.accountId,
      info.name,
      hash,
      info.created.getTime(),
      info.scope ?? "account",
    );
    return Promise.resolve();
  }

  findByHash(hash: string): Promise<{ info: ApiTokenInfo; hash: string } | null> {
    const row = this.#db.get<TokenRow>("SELECT * FROM jmap_tokens WHERE hash = ?", hash);
    return Promise.resolve(row ? { info: toInfo(row), hash: row.hash } : null);
  }

  touch(id: string, at: Date): Promise<void> {
    this.#db.run("UPDATE jmap_tokens SET last_used = ? WHERE id = ?", at.getTime(), id);
    return Promise.resolve();
  }

  list(accountId?: AccountId): Promise<ApiTokenInfo[]> {
    const rows = accountId === undefined
      ? this.#db.all<TokenRow>("SELECT * FROM jmap_tokens ORDER BY created, id")
      : this.#db.all<TokenRow>(
        "SELECT * FROM jmap_tokens WHERE account_id = ? ORDER BY created, id",
        accountId,
      );
    return Promise.resolve(rows.map(toInfo));
  }

  revoke(id: string): Promise<boolean> {
    return Promise.resolve(this.#db.run("DELETE FROM jmap_tokens WHERE id = ?", id).changes > 0);
  }
}
