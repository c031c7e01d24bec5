/**
 * Authentication of admin-API requests, resolving them to a `Principal` (core/authz):
 * - `Authorization: Bearer <JWT>`: an access token of a login session that is still active;
 * - `Authorization: Bearer tern_…`: an API token (`tern token`) with its scope;
 * - a trusted front end (core/jmap/trusted.ts): HMAC-signed `X-Tern-*` headers, or a TLS client
 *   certificate verified against `jmap.client_ca` whose subject is a trusted service's, naming the
 *   user in `X-Tern-User`.
 * Failed bearer and trusted attempts are throttled per IP and counted towards the connection
 * policy's ban like every other failed login.
 *
 * @module
 */
import type { ServerContext } from "../context.ts";
import type { Account } from "../store/types.ts";
import { type AuthThrottle, createAuthThrottle } from "../auth/throttle.ts";
import { ApiTokens, TOKEN_PREFIX } from "../jmap/tokens.ts";
import { ReplayGuard, TrustedHeader, verifyTrusted } from "../jmap/trusted.ts";
import { canonicalDn } from "../syntax/dn.ts";
import { looksLikeJwt, verifyAccessToken } from "./access_token.ts";
import type { ApiSessions } from "./sessions.ts";
import type { OrgResolver } from "../authz/roles.ts";
import { type Principal, scopeOfRole } from "../authz/principal.ts";
import type { AuditLog } from "../audit/audit_log.ts";

/** How often a token's use is recorded (as `ApiTokens` keeps `lastUsed`). */
const TOKEN_USE_RESOLUTION_MS = 3_600_000;

/** What the authenticator sees of a request. */
export interface ApiAuthRequest {
  headers: Headers;
  remoteAddress: string;
  secure: boolean;
  /** `listeners.http.allow_plaintext_auth`: when false, bearer credentials need TLS. */
  allowPlaintext: boolean;
  /** Subject of a verified TLS client certificate (RFC 4514), if any. */
  clientCertSubject?: string;
  /** Why a presented client certificate did not verify. */
  clientCertError?: string;
  requestId?: string;
}

/** The outcome of authenticating a request. */
export type ApiAuthOutcome =
  | { ok: true; principal: Principal; account: Account }
  | { ok: false; status: 401 | 403; detail: string; retryAfterMs?: number };

/** Authenticates admin-API requests for one server. */
export class ApiAuthenticator {
  readonly #ctx: ServerContext;
  readonly #sessions: ApiSessions;
  readonly #orgs: OrgResolver;
  readonly #key: () => Promise<Uint8Array>;
  readonly #tokens: ApiTokens;
  readonly #throttle: AuthThrottle;
  readonly #replay = new ReplayGuard();
  readonly #audit: AuditLog;

  /**
   * @param ctx the server context
   * @param deps login sessions, organization resolution, the signing key and the audit log
   */
  constructor(
    ctx: ServerContext,
    deps: { sessions: ApiSessions; orgs: OrgResolver; key: () => Promise<Uint8Array>; audit: AuditLog },
  ) {
    this.#ctx = ctx;
    this.#sessions = deps.sessions;
    this.#orgs = deps.orgs;
    this.#key = deps.key;
    this.#audit = deps.audit;
    this.#tokens = new ApiTokens(ctx.store.tokens, ctx.clock);
    this.#throttle = createAuthThrottle(ctx.config.auth, { clock: ctx.clock });
  }

  /** Authenticates one request. */
  async authenticate(req: ApiAuthRequest): Promise<ApiAuthOutcome> {
    const jmap = this.#ctx.config.jmap;
    const services = jmap.trusted_services ?? [];
    if (req.clientCertSubject !== undefined || req.clientCertError !== undefined) {
      const key = "api-client-cert";
      const throttled = await this.#throttle.check(req.remoteAddress, key);
      if (throttled) return await this.#refused(req, throttled.retryAfterMs);
      const subject = req.clientCertSubject;
      const service = subject === undefined ? undefined : services.find((s) => {
        if (s.client_cert_subject === undefined) return false;
        try {
          return canonicalDn(s.client_cert_subject) === subject;
        } catch {
          return false;
        }
      });
      if (!service) return await this.#failed(req, key, "Client certificate refused.");
      const user = req.headers.get(TrustedHeader.user);
      if (!user) {
        return {
          ok: false,
          status: 401,
          detail: `A trusted service must name the user in ${TrustedHeader.user}.`,
        };
      }
      return await this.#actAs(user, "trusted", { service: service.name });
    }
    const trusted = verifyTrusted(
      req.headers,
      services,
      this.#ctx.clock.now().getTime(),
      jmap.trusted_max_skew ?? 300,
      this.#replay,
    );
    if (trusted !== null) {
      const key = `api-trusted:${req.headers.get(TrustedHeader.service) ?? ""}`;
      const throttled = await this.#throttle.check(req.remoteAddress, key);
      if (throttled) return await this.#refused(req, throttled.retryAfterMs);
      if (!trusted.ok) return await this.#failed(req, key, "Trusted request refused.");
      return await this.#actAs(trusted.user, "trusted", { service: trusted.service });
    }

    const header = req.headers.get("authorization");
    if (!header) return { ok: false, status: 401, detail: "Authentication required." };
    const m = /^bearer +(\S+)\s*$/i.exec(header);
    if (!m) return { ok: false, status: 401, detail: "Use a Bearer access token or API token." };
    if (!req.secure && !req.allowPlaintext) {
      // RFC 6750 §5.3: bearer tokens only over TLS when the listener says so.
      return {
        ok: false,
        status: 403,
        detail: "Token authentication needs TLS on this listener (use HTTPS).",
      };
    }
    const credential = m[1]!;
    const key = "api-bearer";
    const throttled = await this.#throttle.check(req.remoteAddress, key);
    if (throttled) return await this.#refused(req, throttled.retryAfterMs);
    if (credential.startsWith(TOKEN_PREFIX)) {
      const info = await this.#tokens.verifyInfo(credential);
      if (!info) return await this.#failed(req, key, "Invalid or revoked token.");
      const out = await this.#actAsId(info.accountId, "token", {
        tokenId: info.id,
        scope: info.scope ?? "account",
      });
      if (!out) return await this.#failed(req, key, "Invalid or revoked token.");
      // Token use is a security event, recorded at the resolution `lastUsed` is kept at (hourly).
      const now = this.#ctx.clock.now().getTime();
      if (out.ok && (info.lastUsed === null || now - info.lastUsed.getTime() > TOKEN_USE_RESOLUTION_MS)) {
        await this.#audit.security(
          {
            actor: out.principal.address,
            actorOrgId: out.principal.orgId,
            ip: req.remoteAddress,
            requestId: req.requestId ?? null,
          },
          {
            action: "token.use",
            orgId: out.principal.orgId,
            target: info.id,
            after: { scope: info.scope ?? "account" },
          },
        );
      }
      return out;
    }
    if (looksLikeJwt(credential)) {
      const claims = await verifyAccessToken(await this.#key(), credential, this.#ctx.clock.now());
      const session = claims ? await this.#sessions.get(claims.sessionId) : null;
      if (
        !claims || !session || session.accountId !== claims.accountId || !this.#sessions.isActive(session)
      ) {
        return await this.#failed(req, key, "Invalid, expired or revoked access token.");
      }
      const out = await this.#actAsId(claims.accountId, "session", { sessionId: session.id });
      return out ?? await this.#failed(req, key, "Invalid, expired or revoked access token.");
    }
    return await this.#failed(req, key, "Invalid token.");
  }

  async #refused(req: ApiAuthRequest, retryAfterMs: number): Promise<ApiAuthOutcome> {
    await this.#ctx.policy?.recordAuthFailure(req.remoteAddress);
    return { ok: false, status: 401, detail: "Too many failed attempts.", retryAfterMs };
  }

  async #failed(req: ApiAuthRequest, key: string, detail: string): Promise<ApiAuthOutcome> {
    await this.#throttle.recordFailure(req.remoteAddress, key);
    await this.#ctx.policy?.recordAuthFailure(req.remoteAddress);
    await this.#audit.security({
      actor: "anonymous",
      ip: req.remoteAddress,
      requestId: req.requestId ?? null,
    }, {
      action: "auth.api.failure",
      after: { detail },
    });
    return { ok: false, status: 401, detail };
  }

  async #actAs(
    address: string,
    via: "trusted",
    extra: { service: string },
  ): Promise<ApiAuthOutcome> {
    const account = await this.#ctx.store.getAccountByAddress(address);
    if (!account || account.disabled) return { ok: false, status: 401, detail: "Unknown user." };
    const m = await this.#orgs.membership(account);
    return {
      ok: true,
      account,
      principal: {
        accountId: account.id,
        address: account.address,
        orgId: m.orgId,
        role: m.role,
        scope: scopeOfRole(m.role),
        via,
        service: extra.service,
      },
    };
  }

  async #actAsId(
    accountId: string,
    via: "token" | "session",
    extra: { tokenId?: string; sessionId?: string; scope?: Principal["scope"] },
  ): Promise<ApiAuthOutcome | null> {
    const account = await this.#ctx.store.getAccount(accountId);
    if (!account || account.disabled) return null;
    const m = await this.#orgs.membership(account);
    const principal: Principal = {
      accountId: account.id,
      address: account.address,
      orgId: m.orgId,
      role: m.role,
      scope: extra.scope ?? scopeOfRole(m.role),
      via,
    };
    if (extra.tokenId !== undefined) principal.tokenId = extra.tokenId;
    if (extra.sessionId !== undefined) principal.sessionId = extra.sessionId;
    return { ok: true, account, principal };
  }
}
