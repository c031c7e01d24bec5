/**
 * `ApiSessionStore` in SQL, shared by SQLite and PostgreSQL (tables `api_sessions` and
 * `api_refresh_tokens`, refresh-token hashes only; each backend keeps its schema). Rotation is one
 * transaction that locks the old token (PostgreSQL `FOR UPDATE`; SQLite's write lock): of two
 * concurrent rotations of the same token exactly one succeeds, so a replayed token is detectable.
 *
 * @module
 */
import type { ApiSession, ApiSessionStore, RefreshTokenRecord, SessionSelector } from "../api_sessions.ts";
import { all, type Dialect, get, type Op, type Param, type RecordDb, run } from "./db.ts";

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
  return { sql: "1 = 1", params: [] };
}

const INSERT_TOKEN =
  "INSERT INTO api_refresh_tokens (hash, session_id, created, expires_at) VALUES (?, ?, ?, ?)";

function* create(session: ApiSession, token: Omit<RefreshTokenRecord, "sessionId" | "rotatedAt">): Op<void> {
  yield* run(
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
  yield* run(INSERT_TOKEN, token.hash, session.id, token.created.getTime(), token.expiresAt.getTime());
}

function* findToken(hash: string): Op<{ token: RefreshTokenRecord; session: ApiSession } | null> {
  const t = yield* get<TokenRow>("SELECT * FROM api_refresh_tokens WHERE hash = ?", hash);
  if (!t) return null;
  const s = yield* get<SessionRow>("SELECT * FROM api_sessions WHERE id = ?", t.session_id);
  return s ? { token: toToken(t), session: toSession(s) } : null;
}

function* rotate(
  d: Dialect,
  oldHash: string,
  next: Omit<RefreshTokenRecord, "sessionId" | "rotatedAt">,
  now: Date,
  ip: string,
): Op<boolean> {
  const old = yield* get<TokenRow>(
    `SELECT * FROM api_refresh_tokens WHERE hash = ? AND rotated_at IS NULL${d.forUpdate}`,
    oldHash,
  );
  if (!old) return false;
  yield* run("UPDATE api_refresh_tokens SET rotated_at = ? WHERE hash = ?", now.getTime(), oldHash);
  yield* run(INSERT_TOKEN, next.hash, old.session_id, next.created.getTime(), next.expiresAt.getTime());
  yield* run("UPDATE api_sessions SET last_seen = ?, ip = ? WHERE id = ?", now.getTime(), ip, old.session_id);
  return true;
}

/** Admin-API sessions over either backend. */
export class SqlApiSessionStore implements ApiSessionStore {
  /** @param db the backend, its "api_auth" schema applied */
  constructor(protected readonly db: RecordDb) {}

  /** Creates a session with its first refresh token. */
  async create(
    session: ApiSession,
    token: Omit<RefreshTokenRecord, "sessionId" | "rotatedAt">,
  ): Promise<void> {
    await this.db.atomic(create(session, token));
  }

  /** One session, or null. */
  async get(id: string): Promise<ApiSession | null> {
    const row = await this.db.read(get<SessionRow>("SELECT * FROM api_sessions WHERE id = ?", id));
    return row ? toSession(row) : null;
  }

  /** A refresh token by hash, with its session. */
  findToken(hash: string): Promise<{ token: RefreshTokenRecord; session: ApiSession } | null> {
    return this.db.read(findToken(hash));
  }

  /** Replaces an unrotated token by the next one; false when it was rotated already or is unknown. */
  rotate(
    oldHash: string,
    next: Omit<RefreshTokenRecord, "sessionId" | "rotatedAt">,
    now: Date,
    ip: string,
  ): Promise<boolean> {
    return this.db.atomic(rotate(this.db.dialect, oldHash, next, now, ip));
  }

  /** Sessions matching a selector (only those active at `activeAt` when given), newest first. */
  async list(selector: SessionSelector, activeAt?: Date): Promise<ApiSession[]> {
    const w = where(selector);
    const active = activeAt === undefined ? "" : " AND revoked_at IS NULL AND expires_at > ?";
    const params = activeAt === undefined ? w.params : [...w.params, activeAt.getTime()];
    const rows = await this.db.read(all<SessionRow>(
      `SELECT * FROM api_sessions WHERE ${w.sql}${active} ORDER BY created DESC, id${this.db.dialect.bytes} DESC`,
      ...params,
    ));
    return rows.map(toSession);
  }

  /** Revokes the matching live sessions; returns how many. */
  revoke(selector: SessionSelector, now: Date, reason: string): Promise<number> {
    const w = where(selector);
    return this.db.write(run(
      `UPDATE api_sessions SET revoked_at = ?, revoke_reason = ? WHERE ${w.sql} AND revoked_at IS NULL`,
      now.getTime(),
      reason,
      ...w.params,
    ));
  }
}
