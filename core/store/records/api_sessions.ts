/**
 * Admin-API login sessions and their refresh tokens (`Store.apiSessions`). A session is one login
 * (one refresh-token family); each refresh rotates its token, and only SHA-256 hashes of refresh
 * tokens are stored. Issuing and checking tokens is backend-neutral and lives in
 * core/api_auth/sessions.ts.
 *
 * @module
 */
import type { AccountId } from "../types.ts";

/** One login session (a refresh-token family). */
export interface ApiSession {
  id: string;
  accountId: AccountId;
  /** Organization of the account when the session started. */
  orgId: string;
  /** SHA-256 (hex) of the device description the session is bound to. */
  fingerprint: string;
  /** Client's User-Agent at login (display only, truncated). */
  userAgent: string;
  /** Client IP of the last login or refresh. */
  ip: string;
  created: Date;
  lastSeen: Date;
  /** Absolute end of the session, whatever its activity. */
  expiresAt: Date;
  revokedAt: Date | null;
  revokeReason: string | null;
}

/** A stored refresh token (hash only). */
export interface RefreshTokenRecord {
  hash: string;
  sessionId: string;
  created: Date;
  expiresAt: Date;
  /** When it was exchanged for a new one; a rotated token presented again is a reuse. */
  rotatedAt: Date | null;
}

/** Which sessions a revocation covers. */
export type SessionSelector =
  | { id: string }
  | { accountId: AccountId }
  | { orgId: string }
  | { all: true };

/** Sessions and refresh tokens of all accounts. */
export interface ApiSessionStore {
  /** Stores a new session with its first refresh token. */
  create(session: ApiSession, token: Omit<RefreshTokenRecord, "sessionId" | "rotatedAt">): Promise<void>;
  /** A session by id, or null. */
  get(id: string): Promise<ApiSession | null>;
  /** The refresh token with this hash and its session, or null. */
  findToken(hash: string): Promise<{ token: RefreshTokenRecord; session: ApiSession } | null>;
  /**
   * Atomically marks `oldHash` rotated, stores its successor and records the session's activity
   * (`lastSeen`, `ip`). False (nothing changed) when `oldHash` was already rotated.
   */
  rotate(
    oldHash: string,
    next: Omit<RefreshTokenRecord, "sessionId" | "rotatedAt">,
    now: Date,
    ip: string,
  ): Promise<boolean>;
  /** Sessions matching a selector, newest first; with `activeAt` only those not revoked nor expired then. */
  list(selector: SessionSelector, activeAt?: Date): Promise<ApiSession[]>;
  /** Revokes the not yet revoked sessions matching a selector; returns how many. */
  revoke(selector: SessionSelector, now: Date, reason: string): Promise<number>;
}
