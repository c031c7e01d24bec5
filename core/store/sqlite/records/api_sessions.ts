/**
 * SQLite implementation of `ApiSessionStore` (component "api_auth": tables `api_sessions` and
 * `api_refresh_tokens`, refresh-token hashes only).
 *
 * @module
 */
import type {
  ApiSession,
  ApiSessionStore,
  RefreshTokenRecord,
  SessionSelector,
} from "../../records/api_sessions.ts";
import type { Database, SqlValue } from "../database.ts";

interface SessionRow {
  id: string;
  account_id: string;
  org_id: string;
  fingerprint: string;
  user_agent: string;
  ip: string;
  created: number;
  last_seen: number;
  expires_at: number;
  revoked_at: number | null;
  revoke_reason: string | null;
}

interface TokenRow {
  hash: string;
  session_id: string;
  created: number;
  expires_at: number;
  rotated_at: number | null;
}

const toSession = (r: SessionRow): ApiSession => ({
  id: r.id,
  accountId: r.account_id,
  orgId: r.org_id,
  fingerprint: r.fingerprint,
  userAgent: r.user_agent,
  ip: r.ip,
  created: new Date(r.created),
  lastSeen: new Date(r.last_seen),
  expiresAt: new Date(r.expires_at),
  revokedAt: r.revoked_at === null ? null : new Date(r.revoked_at),
  revokeReason: r.revoke_reason,
});

const toToken = (r: TokenRow): RefreshTokenRecord => ({
  hash: r.hash,
  sessionId: r.session_id,
  created: new Date(r.created),
  expiresAt: new Date(r.expires_at),
  rotatedAt: r.rotated_at === null ? null : new Date(r.rotated_at),
});

/** Applies the "api_auth" migrations. */
export function migrateApiSessions(db: Database): void {
  db.applyMigrations("api_auth", [{
    version: 1,
    sql: `CREATE TABLE api_sessions (
      id TEXT PRIMARY KEY,
      account_id TEXT NOT NULL,
      org_id TEXT NOT NULL,
      fingerprint TEXT NOT NULL,
      user_agent TEXT NOT NULL,
      ip TEXT NOT NULL,
      created INTEGER NOT NULL,
      last_seen INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      revoked_at INTEGER,
      revoke_reason TEXT
    ) STRICT;
    CREATE INDEX api_sessions_account ON api_sessions(account_id);
    CREATE INDEX api_sessions_org ON api_sessions(org_id);
    CREATE TABLE api_refresh_tokens (
      hash TEXT PRIMARY KEY,
      session_id TEXT NOT NULL REFERENCES api_sessions(id) ON DELETE CASCADE,
      created INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      rotated_at INTEGER
    ) STRICT;
    CREATE INDEX api_refresh_tokens_session ON api_refresh_tokens(session_id);`,
  }]);
}

function where(selector: SessionSelector): { sql: string; params: SqlValue[] } {
  if ("id" in selector) return { sql: "id = ?", params: [selector.id] };
  if ("accountId" in selector) return { sql: "account_id = ?", params: [selector.accountId] };
  if ("orgId" in selector) return { sql: "org_id = ?", params: [selector.orgId] };
  return { sql: "1 = 1", params: [] };
}

/** API sessions in the store database. */
export class SqliteApiSessionStore implements ApiSessionStore {
  readonly #db: Database;

  /** @param db the store database, "api_auth" schema applied */
  constructor(db: Database) {
    this.#db = db;
  }

  create(session: ApiSession, token: Omit<RefreshTokenRecord, "sessionId" | "rotatedAt">): Promise<void> {
    this.#db.transaction(() => {
      this.#db.run(
        `INSERT INTO api_sessions (id, account_id, org_id, fingerprint, user_agent, ip, created, last_seen,
           expires_at, revoked_at, revoke_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        session.id,
        session.accountId,
        session.orgId,
        session.fingerprint,
        session.userAgent,
        session.ip,
        session.created.getTime(),
        session.lastSeen.getTime(),
        session.expiresAt.getTime(),
        session.revokedAt?.getTime() ?? null,
        session.revokeReason,
      );
      this.#db.run(
        "INSERT INTO api_refresh_tokens (hash, session_id, created, expires_at) VALUES (?, ?, ?, ?)",
        token.hash,
        session.id,
        token.created.getTime(),
        token.expiresAt.getTime(),
      );
    });
    return Promise.resolve();
  }

  get(id: string): Promise<ApiSession | null> {
    const row = this.#db.get<SessionRow>("SELECT * FROM api_sessions WHERE id = ?", id);
    return Promise.resolve(row ? toSession(row) : null);
  }

  findToken(hash: string): Promise<{ token: RefreshTokenRecord; session: ApiSession } | null> {
    const t = this.#db.get<TokenRow>("SELECT * FROM api_refresh_tokens WHERE hash = ?", hash);
    if (!t) return Promise.resolve(null);
    const s = this.#db.get<SessionRow>("SELECT * FROM api_sessions WHERE id = ?", t.session_id);
    return Promise.resolve(s ? { token: toToken(t), session: toSession(s) } : null);
  }

  rotate(
    oldHash: string,
    next: Omit<RefreshTokenRecord, "sessionId" | "rotatedAt">,
    now: Date,
    ip: string,
  ): Promise<boolean> {
    const done = this.#db.transaction(() => {
      const old = this.#db.get<TokenRow>(
        "SELECT * FROM api_refresh_tokens WHERE hash = ? AND rotated_at IS NULL",
        oldHash,
      );
      if (!old) return false;
      this.#db.run("UPDATE api_refresh_tokens SET rotated_at = ? WHERE hash = ?", now.getTime(), oldHash);
      this.#db.run(
        "INSERT INTO api_refresh_tokens (hash, session_id, created, expires_at) VALUES (?, ?, ?, ?)",
        next.hash,
        old.session_id,
        next.created.getTime(),
        next.expiresAt.getTime(),
      );
      this.#db.run(
        "UPDATE api_sessions SET last_seen = ?, ip = ? WHERE id = ?",
        now.getTime(),
        ip,
        old.session_id,
      );
      return true;
    });
    return Promise.resolve(done);
  }

  list(selector: SessionSelector, activeAt?: Date): Promise<ApiSession[]> {
    const w = where(selector);
    const active = activeAt === undefined ? "" : " AND revoked_at IS NULL AND expires_at > ?";
    const params = activeAt === undefined ? w.params : [...w.params, activeAt.getTime()];
    const rows = this.#db.all<SessionRow>(
      `SELECT * FROM api_sessions WHERE ${w.sql}${active} ORDER BY created DESC, id DESC`,
      ...params,
    );
    return Promise.resolve(rows.map(toSession));
  }

  revoke(selector: SessionSelector, now: Date, reason: string): Promise<number> {
    const w = where(selector);
    const r = this.#db.run(
      `UPDATE api_sessions SET revoked_at = ?, revoke_reason = ? WHERE ${w.sql} AND revoked_at IS NULL`,
      now.getTime(),
      reason,
      ...w.params,
    );
    return Promise.resolve(r.changes);
  }
}
