/**
 * Admin-API login sessions and their rotating refresh-token hashes on PostgreSQL (core/api_auth).
 * Rotation is one transaction with a row lock on the old token: of two concurrent rotations of the
 * same token exactly one succeeds (a replayed token is then detectable). Semantics as
 * core/store/sqlite/records/api_sessions.ts.
 *
 * @module
 */
import type {
  ApiSession,
  ApiSessionStore,
  RefreshTokenRecord,
  SessionSelector,
} from "../../records/api_sessions.ts";
import type { PgMigration } from "../migrations.ts";
import type { Param, PgDb } from "./db.ts";

/** Migration component of the API session tables. */
export const API_AUTH_COMPONENT = "api_auth";

/** The API session tables. */
export const API_AUTH_MIGRATIONS: PgMigration[] = [{
  version: 1,
  sql: `
CREATE TABLE api_sessions (
  id TEXT PRIMARY KEY,
  account_id TEXT NOT NULL,
  org_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  ip TEXT NOT NULL,
  created BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  revoked_at BIGINT,
  revoke_reason TEXT
);
CREATE INDEX api_sessions_account ON api_sessions(account_id);
CREATE INDEX api_sessions_org ON api_sessions(org_id);
CREATE TABLE api_refresh_tokens (
  hash TEXT PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES api_sessions(id) ON DELETE CASCADE,
  created BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  rotated_at BIGINT
);
CREATE INDEX api_refresh_tokens_session ON api_refresh_tokens(session_id);
`,
}];

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

function where(selector: SessionSelector): { sql: string; params: Param[] } {
  if ("id" in selector) return { sql: "id = ?", params: [selector.id] };
  if ("accountId" in selector) return { sql: "account_id = ?", params: [selector.accountId] };
  if ("orgId" in selector) return { sql: "org_id = ?", params: [selector.orgId] };
  return { sql: "true", params: [] };
}

/** Admin-API sessions. */
export class PgApiSessionStore implements ApiSessionStore {
  /** @param db the pool */
  constructor(readonly db: PgDb) {}

  /** Creates a session with its first refresh token. */
  async create(
    session: ApiSession,
    token: Omit<RefreshTokenRecord, "sessionId" | "rotatedAt">,
  ): Promise<void> {
    await this.db.transaction(async (db) => {
      await db.run(
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
      await db.run(
        "INSERT INTO api_refresh_tokens (hash, session_id, created, expires_at) VALUES (?, ?, ?, ?)",
        token.hash,
        session.id,
        token.created.getTime(),
        token.expiresAt.getTime(),
      );
    });
  }

  /** One session, or null. */
  async get(id: string): Promise<ApiSession | null> {
    const row = await this.db.get<SessionRow>("SELECT * FROM api_sessions WHERE id = ?", id);
    return row ? toSession(row) : null;
  }

  /** A refresh token by hash, with its session. */
  async findToken(hash: string): Promise<{ token: RefreshTokenRecord; session: ApiSession } | null> {
    const t = await this.db.get<TokenRow>("SELECT * FROM api_refresh_tokens WHERE hash = ?", hash);
    if (!t) return null;
    const s = await this.db.get<SessionRow>("SELECT * FROM api_sessions WHERE id = ?", t.session_id);
    return s ? { token: toToken(t), session: toSession(s) } : null;
  }

  /** Replaces an unrotated token by the next one; false when it was rotated already or is unknown. */
  rotate(
    oldHash: string,
    next: Omit<RefreshTokenRecord, "sessionId" | "rotatedAt">,
    now: Date,
    ip: string,
  ): Promise<boolean> {
    return this.db.transaction(async (db) => {
      const old = await db.get<TokenRow>(
        "SELECT * FROM api_refresh_tokens WHERE hash = ? AND rotated_at IS NULL FOR UPDATE",
        oldHash,
      );
      if (!old) return false;
      await db.run("UPDATE api_refresh_tokens SET rotated_at = ? WHERE hash = ?", now.getTime(), oldHash);
      await db.run(
        "INSERT INTO api_refresh_tokens (hash, session_id, created, expires_at) VALUES (?, ?, ?, ?)",
        next.hash,
        old.session_id,
        next.created.getTime(),
        next.expiresAt.getTime(),
      );
      await db.run(
        "UPDATE api_sessions SET last_seen = ?, ip = ? WHERE id = ?",
        now.getTime(),
        ip,
        old.session_id,
      );
      return true;
    });
  }

  /** Sessions matching a selector (only those active at `activeAt` when given), newest first. */
  async list(selector: SessionSelector, activeAt?: Date): Promise<ApiSession[]> {
    const w = where(selector);
    const active = activeAt === undefined ? "" : " AND revoked_at IS NULL AND expires_at > ?";
    const params = activeAt === undefined ? w.params : [...w.params, activeAt.getTime()];
    return (await this.db.all<SessionRow>(
      `SELECT * FROM api_sessions WHERE ${w.sql}${active} ORDER BY created DESC, id COLLATE "C" DESC`,
      ...params,
    )).map(toSession);
  }

  /** Revokes the matching live sessions; returns how many. */
  async revoke(selector: SessionSelector, now: Date, reason: string): Promise<number> {
    const w = where(selector);
    return (await this.db.run(
      `UPDATE api_sessions SET revoked_at = ?, revoke_reason = ? WHERE ${w.sql} AND revoked_at IS NULL`,
      now.getTime(),
      reason,
      ...w.params,
    )).changes;
  }
}
