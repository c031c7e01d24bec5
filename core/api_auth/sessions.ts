/**
 * Admin-API login sessions: `login` (through the shared authentication service, with its
 * throttling) issues an access token and an opaque refresh token; `refresh` rotates the refresh
 * token; a rotated token presented again revokes its whole family (the session) and records a
 * security event (RFC 9700 §4.14.2, refresh token rotation). Sessions end after
 * `api.session_absolute` whatever happens, after `api.session_idle` without a refresh, on logout
 * and on revocation. A refresh is bound to the device fingerprint of the login (the client's
 * User-Agent and optional `X-Device-Id`): another device must log in again, another network
 * (IP address) alone need not.
 *
 * @module
 */
import { createHash, randomBytes } from "node:crypto";
import type { ServerContext } from "../context.ts";
import type { Account } from "../store/types.ts";
import type { ApiSession, SessionSelector } from "../store/records/api_sessions.ts";
import { apiSettings } from "./settings.ts";
import { signAccessToken } from "./access_token.ts";
import type { AuditLog } from "../audit/audit_log.ts";
import type { OrgResolver } from "../authz/roles.ts";

export type { ApiSession, SessionSelector } from "../store/records/api_sessions.ts";

/** Prefix of refresh tokens (secret scanners and logs recognise them). */
export const REFRESH_PREFIX = "ternr_";

/** Where a login or refresh comes from. */
export interface ClientInfo {
  ip: string;
  userAgent: string;
  /** Optional stable device id sent by the client (`X-Device-Id`). */
  deviceId?: string;
  secure: boolean;
  requestId?: string;
}

/** Tokens handed to the client. */
export interface IssuedTokens {
  accessToken: string;
  tokenType: "Bearer";
  /** Seconds the access token is valid. */
  expiresIn: number;
  refreshToken: string;
  /** Seconds the refresh token is valid (never past the session's absolute end). */
  refreshExpiresIn: number;
  sessionId: string;
}

/** Why a login or refresh was refused. */
export type SessionFailure =
  | { ok: false; reason: "invalid" | "disabled" }
  | { ok: false; reason: "throttled"; retryAfterMs: number }
  | { ok: false; reason: "expired" | "revoked" | "reused" | "device" };

const MAX_UA = 256;

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The device fingerprint: SHA-256 of the User-Agent and the client's device id (not the IP). */
export function deviceFingerprint(client: Pick<ClientInfo, "userAgent" | "deviceId">): string {
  return sha256(`${client.userAgent}\n${client.deviceId ?? ""}`);
}

/** Login sessions over the store's `apiSessions` records. */
export class ApiSessions {
  readonly #ctx: ServerContext;
  readonly #key: () => Promise<Uint8Array>;
  readonly #audit: AuditLog;
  readonly #orgs: OrgResolver;

  /**
   * @param ctx server context (store, auth service, clock, config)
   * @param key the access-token signing key (signing_key.ts)
   * @param audit where security events go
   * @param orgs organization and role resolution
   */
  constructor(ctx: ServerContext, key: () => Promise<Uint8Array>, audit: AuditLog, orgs: OrgResolver) {
    this.#ctx = ctx;
    this.#key = key;
    this.#audit = audit;
    this.#orgs = orgs;
  }

  /** Checks the password through the shared auth service and opens a session. */
  async login(
    address: string,
    password: string,
    client: ClientInfo,
  ): Promise<{ ok: true; tokens: IssuedTokens; account: Account } | SessionFailure> {
    const result = await this.#ctx.auth.verifyPassword(address, password, {
      remoteAddress: client.ip,
      protocol: "http",
      secure: client.secure,
    });
    const actor = { actor: address.slice(0, 320), ip: client.ip, requestId: client.requestId ?? null };
    if (!result.ok) {
      await this.#audit.security(actor, {
        action: `auth.login.${result.reason}`,
        target: address.slice(0, 320),
      });
      if (result.reason === "throttled") {
        return { ok: false, reason: "throttled", retryAfterMs: result.retryAfterMs ?? 1000 };
      }
      return { ok: false, reason: result.reason };
    }
    const account = result.account;
    const { orgId } = await this.#orgs.membership(account);
    const s = apiSettings(this.#ctx.config);
    const now = this.#ctx.clock.now();
    const session: ApiSession = {
      id: crypto.randomUUID(),
      accountId: account.id,
      orgId,
      fingerprint: deviceFingerprint(client),
      userAgent: client.userAgent.slice(0, MAX_UA),
      ip: client.ip,
      created: now,
      lastSeen: now,
      expiresAt: new Date(now.getTime() + s.session_absolute * 1000),
      revokedAt: null,
      revokeReason: null,
    };
    const refresh = this.#newRefresh(now, session.expiresAt);
    // A login from a device none of the account's earlier sessions came from is worth telling the user.
    const earlier = await this.#ctx.store.apiSessions.list({ accountId: account.id });
    const newDevice = earlier.length > 0 && !earlier.some((e) => e.fingerprint === session.fingerprint);
    await this.#ctx.store.apiSessions.create(session, refresh.record);
    if (newDevice) {
      await this.#ctx.notify?.newDeviceLogin(account.id, {
        description: session.userAgent || "unknown client",
        ip: client.ip,
      })
        .catch(() => false);
    }
    await this.#audit.security({ ...actor, actor: account.address, actorOrgId: orgId }, {
      action: "auth.login.success",
      orgId,
      target: session.id,
    });
    return {
      ok: true,
      account,
      tokens: await this.#issue(session, refresh.token, refresh.record.expiresAt, now),
    };
  }

  /** Exchanges a refresh token for new tokens (rotation); see the module comment for the rules. */
  async refresh(
    refreshToken: string,
    client: ClientInfo,
  ): Promise<{ ok: true; tokens: IssuedTokens } | SessionFailure> {
    if (!refreshToken.startsWith(REFRESH_PREFIX) || refreshToken.length > 200) {
      return { ok: false, reason: "invalid" };
    }
    const hash = sha256(refreshToken);
    const found = await this.#ctx.store.apiSessions.findToken(hash);
    if (!found) return { ok: false, reason: "invalid" };
    const { token, session } = found;
    const now = this.#ctx.clock.now();
    const actor = { actor: "system", ip: client.ip, requestId: client.requestId ?? null };
    if (session.revokedAt !== null) return { ok: false, reason: "revoked" };
    if (token.rotatedAt !== null) {
      // A rotated token seen again: someone holds a copy. Revoke the family (RFC 9700 §4.14.2).
      await this.#ctx.store.apiSessions.revoke({ id: session.id }, now, "refresh token reuse");
      await this.#audit.security(actor, {
        action: "session.refresh_reuse",
        orgId: session.orgId,
        target: session.id,
        after: { accountId: session.accountId, revoked: true },
      });
      await this.#ctx.notify?.refreshTokenReuse(session.accountId, { sessionId: session.id, ip: client.ip })
        .catch(() => false);
      return { ok: false, reason: "reused" };
    }
    const s = apiSettings(this.#ctx.config);
    if (
      token.expiresAt <= now || session.expiresAt <= now ||
      now.getTime() - session.lastSeen.getTime() > s.session_idle * 1000
    ) {
      return { ok: false, reason: "expired" };
    }
    if (deviceFingerprint(client) !== session.fingerprint) {
      // Another device holds this session's refresh token: it must log in itself.
      await this.#ctx.store.apiSessions.revoke({ id: session.id }, now, "refresh from another device");
      await this.#audit.security(actor, {
        action: "session.device_mismatch",
        orgId: session.orgId,
        target: session.id,
        after: { accountId: session.accountId, revoked: true },
      });
      return { ok: false, reason: "device" };
    }
    const account = await this.#ctx.store.getAccount(session.accountId);
    if (!account || account.disabled) return { ok: false, reason: "disabled" };
    const next = this.#newRefresh(now, session.expiresAt);
    if (!(await this.#ctx.store.apiSessions.rotate(hash, next.record, now, client.ip))) {
      // Lost a race with another refresh of the same token: that is a reuse too.
      await this.#ctx.store.apiSessions.revoke({ id: session.id }, now, "refresh token reuse");
      await this.#audit.security(actor, {
        action: "session.refresh_reuse",
        orgId: session.orgId,
        target: session.id,
      });
      return { ok: false, reason: "reused" };
    }
    return { ok: true, tokens: await this.#issue(session, next.token, next.record.expiresAt, now) };
  }

  /** A session by id (revoked and expired ones included). */
  get(id: string): Promise<ApiSession | null> {
    return this.#ctx.store.apiSessions.get(id);
  }

  /** True when the session may still be used for access tokens at `now`. */
  isActive(session: ApiSession, now: Date = this.#ctx.clock.now()): boolean {
    return session.revokedAt === null && session.expiresAt > now;
  }

  /** Active sessions matching a selector, newest first. */
  listActive(selector: SessionSelector): Promise<ApiSession[]> {
    return this.#ctx.store.apiSessions.list(selector, this.#ctx.clock.now());
  }

  /** Revokes sessions; returns how many were active. */
  revoke(selector: SessionSelector, reason: string): Promise<number> {
    return this.#ctx.store.apiSessions.revoke(selector, this.#ctx.clock.now(), reason);
  }

  #newRefresh(now: Date, sessionEnd: Date) {
    const ttl = apiSettings(this.#ctx.config).refresh_token_ttl * 1000;
    const expiresAt = new Date(Math.min(now.getTime() + ttl, sessionEnd.getTime()));
    const token = REFRESH_PREFIX + randomBytes(32).toString("base64url");
    return { token, record: { hash: sha256(token), created: now, expiresAt } };
  }

  async #issue(
    session: ApiSession,
    refreshToken: string,
    refreshEnd: Date,
    now: Date,
  ): Promise<IssuedTokens> {
    const ttl = apiSettings(this.#ctx.config).access_token_ttl;
    const accessToken = await signAccessToken(
      await this.#key(),
      { accountId: session.accountId, sessionId: session.id },
      now,
      ttl,
    );
    return {
      accessToken,
      tokenType: "Bearer",
      expiresIn: ttl,
      refreshToken,
      refreshExpiresIn: Math.max(0, Math.floor((refreshEnd.getTime() - now.getTime()) / 1000)),
      sessionId: session.id,
    };
  }
}
