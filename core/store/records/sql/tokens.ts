/**
 * `TokenStore` (API tokens) in SQL, shared by SQLite and PostgreSQL (table `jmap_tokens`: hashes
 * only; each backend keeps its schema).
 *
 * @module
 */
import type { AccountId } from "../../types.ts";
import type { ApiTokenInfo, TokenScope, TokenStore } from "../tokens.ts";
import { all, get, type RecordDb, run } from "./db.ts";

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

/** API token hashes over either backend. */
export class SqlTokenStore implements TokenStore {
  /** @param db the backend, its JMAP schema applied */
  constructor(protected readonly db: RecordDb) {}

  /** Stores a token's hash. */
  async insert(info: Omit<ApiTokenInfo, "lastUsed">, hash: string): Promise<void> {
    await this.db.write(run(
      "INSERT INTO jmap_tokens (id, account_id, name, hash, created, scope) VALUES (?, ?, ?, ?, ?, ?)",
      info.id,
      info.accountId,
      info.name,
      hash,
      info.created.getTime(),
      info.scope ?? "account",
    ));
  }

  /** The token with this hash, or null. */
  async findByHash(hash: string): Promise<{ info: ApiTokenInfo; hash: string } | null> {
    const row = await this.db.read(get<TokenRow>("SELECT * FROM jmap_tokens WHERE hash = ?", hash));
    return row ? { info: toInfo(row), hash: row.hash } : null;
  }

  /** Notes a use. */
  async touch(id: string, at: Date): Promise<void> {
    await this.db.write(run("UPDATE jmap_tokens SET last_used = ? WHERE id = ?", at.getTime(), id));
  }

  /** Tokens of one account (or of all), oldest first. */
  async list(accountId?: AccountId): Promise<ApiTokenInfo[]> {
    const order = `ORDER BY created, id${this.db.dialect.bytes}`;
    const rows = await this.db.read(
      accountId === undefined
        ? all<TokenRow>(`SELECT * FROM jmap_tokens ${order}`)
        : all<TokenRow>(`SELECT * FROM jmap_tokens WHERE account_id = ? ${order}`, accountId),
    );
    return rows.map(toInfo);
  }

  /** Deletes a token. */
  async revoke(id: string): Promise<boolean> {
    return (await this.db.write(run("DELETE FROM jmap_tokens WHERE id = ?", id))) > 0;
  }
}
