/**
 * Authentication of JMAP HTTP requests: Basic (account password, RFC 7617), Bearer API tokens
 * (RFC 6750) and trusted front-end services (HMAC-signed headers, or a verified TLS client
 * certificate passed by the runtime). Failures are throttled like every other login.
 *
 * @module
 */
import { createHmac, randomBytes } from "node:crypto";
import type { Account } from "../../core/store/types.ts";
import { type AuthThrottle, createAuthThrottle } from "../../core/auth/throttle.ts";
import type { JmapServices } from "./services.ts";
import { ReplayGuard, TrustedHeader, verifyTrusted } from "../../core/jmap/trusted.ts";
import { canonicalDn } from "../../core/syntax/dn.ts";

/** The challenge sent with every 401 (RFC 7235 §4.1). */
export const WWW_AUTHENTICATE = 'Basic realm="Tern", charset="UTF-8", Bearer realm="Tern"';

/** Who a request acts as. */
export type AuthOutcome =
  | { ok: true; account: Account; via: "basic" | "bearer" | "trusted" }
  | { ok: false; status: 401 | 403; detail: string; retryAfterMs?: number };

/** What the request looks like to the authenticator. */
export interface AuthRequest {
  headers: Headers;
  remoteAddress: string;
  secure: boolean;
  /**
   * The listener's `allow_plaintext_auth`: when false, a password (Basic) or token (Bearer) sent
   * without TLS is refused before it is checked. Default true.
   */
  allowPlaintext?: boolean;
  /**
   * RFC 4514 subject of a TLS client certificate the runtime verified against `jmap.client_ca`
   * (core/net/client_cert.ts), if any.
   */
  clientCertSubject?: string;
  /** Why a client certificate the client presented did not verify, if it did not. */
  clientCertError?: string;
}

/** How long a verified Basic credential is remembered (scrypt costs ~20 ms per verification). */
export const BASIC_CACHE_TTL_MS = 60_000;
const BASIC_CACHE_MAX = 10_000;

/** Default window (seconds) for trusted timestamps. */
export const DEFAULT_TRUSTED_SKEW = 300;

/** Authenticates HTTP requests for one app. */
export class HttpAuthenticator {
  readonly #services: JmapServices;
  readonly #throttle: AuthThrottle;
  readonly #replay = new ReplayGuard();
  /** HMAC(user, password) → account and the password hash it was verified against. */
  readonly #basicCache = new Map<string, { accountId: string; passwordHash: string; expires: number }>();
  readonly #cacheKey = randomBytes(32);
  readonly #subjects = new Map<string, string | null>();

  /** @param services the app's JMAP services */
  constructor(services: JmapServices) {
    this.#services = services;
    this.#throttle = createAuthThrottle(services.server.config.auth, { clock: services.server.clock });
  }

  /** Authenticates a request. */
  async authenticate(req: AuthRequest): Promise<AuthOutcome> {
    const server = this.#services.server;
    const jmap = server.config.jmap;
    const trustedServices = jmap.trusted_services ?? [];
    const denied = (detail: string, retryAfterMs?: number): AuthOutcome =>
      retryAfterMs === undefined
        ? { ok: false, status: 401, detail }
        : { ok: false, status: 401, detail, retryAfterMs };
    // An attempt refused while locked out still counts towards the cross-protocol ban (as the
    // password paths do through the auth service's onFailure).
    const refused = async (retryAfterMs: number): Promise<AuthOutcome> => {
      await server.policy?.recordAuthFailure(req.remoteAddress);
      return denied("Too many failed attempts.", retryAfterMs);
    };

    // Trusted front end by client certificate (mTLS): the runtime verified it against
    // jmap.client_ca. A presented certificate that did not verify, or whose subject is no trusted
    // service, is a failed login (401, throttled, counted towards the ban) whatever else is sent.
    if (req.clientCertSubject !== undefined || req.clientCertError !== undefined) {
      const key = "client-cert";
      const throttled = await this.#throttle.check(req.remoteAddress, key);
      if (throttled) return await refused(throttled.retryAfterMs);
      const subject = req.clientCertSubject;
      const service = subject === undefined
        ? undefined
        : trustedServices.find((s) => this.#canonicalSubject(s.client_cert_subject) === subject);
      if (!service) {
        await this.#throttle.recordFailure(req.remoteAddress, key);
        await server.policy?.recordAuthFailure(req.remoteAddress);
        server.log.warn("client certificate refused", {
          reason: subject === undefined ? req.clientCertError : "subject is not a trusted service",
          ...(subject !== undefined ? { subject } : {}),
          client_ip: req.remoteAddress,
        });
        return denied("Client certificate refused.");
      }
      const user = req.headers.get(TrustedHeader.user);
      if (!user) return denied(`A trusted service must name the user in ${TrustedHeader.user}.`);
      return await this.#actAs(user, req, "trusted", service.name);
    }
    const trusted = verifyTrusted(
      req.headers,
      trustedServices,
      server.clock.now().getTime(),
      jmap.trusted_max_skew ?? DEFAULT_TRUSTED_SKEW,
      this.#replay,
    );
    if (trusted !== null) {
      const key = `trusted:${req.headers.get(TrustedHeader.service) ?? ""}`;
      const throttled = await this.#throttle.check(req.remoteAddress, key);
      if (throttled) return await refused(throttled.retryAfterMs);
      if (!trusted.ok) {
        await this.#throttle.recordFailure(req.remoteAddress, key);
        // Counted towards the cross-protocol ban like every other failed login.
        await server.policy?.recordAuthFailure(req.remoteAddress);
        server.log.warn("trusted request refused", { reason: trusted.reason, client_ip: req.remoteAddress });
        return denied("Trusted request refused.");
      }
      return await this.#actAs(trusted.user, req, "trusted", trusted.service);
    }

    const header = req.headers.get("authorization");
    if (!header) return denied("Authentication required.");
    const space = header.indexOf(" ");
    const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
    const credentials = space < 0 ? "" : header.slice(space + 1).trim();
    if (!req.secure && req.allowPlaintext === false && (scheme === "basic" || scheme === "bearer")) {
      // listeners.http.allow_plaintext_auth = false: RFC 7617 §4 and RFC 6750 §5.3 want TLS for
      // these credentials. The client is authenticated but refused (RFC 9110 §15.5.4: 403), and the
      // secret is neither checked nor counted as a failure.
      return {
        ok: false,
        status: 403,
        detail: "Password and token authentication need TLS on this listener (use HTTPS).",
      };
    }
    if (scheme === "basic") {
      let decoded: string;
      try {
        decoded = new TextDecoder("utf-8", { fatal: true }).decode(
          Uint8Array.from(atob(credentials), (c) => c.charCodeAt(0)),
        );
      } catch {
        return denied("Malformed Basic credentials.");
      }
      const colon = decoded.indexOf(":");
      if (colon < 0) return denied("Malformed Basic credentials.");
      const cacheKey = createHmac("sha256", this.#cacheKey).update(decoded).digest("base64");
      const cached = await this.#cachedBasic(cacheKey);
      if (cached) return { ok: true, account: cached, via: "basic" };
      const result = await server.auth.verifyPassword(decoded.slice(0, colon), decoded.slice(colon + 1), {
        remoteAddress: req.remoteAddress,
        protocol: "http",
        secure: req.secure,
      });
      if (result.ok) {
        const secrets = await server.store.getSecrets(result.account.id);
        if (secrets) this.#rememberBasic(cacheKey, result.account.id, secrets.passwordHash);
        return { ok: true, account: result.account, via: "basic" };
      }
      return denied(
        result.reason === "throttled" ? "Too many failed attempts." : "Invalid credentials.",
        result.retryAfterMs,
      );
    }
    if (scheme === "bearer") {
      const key = "bearer-token";
      const throttled = await this.#throttle.check(req.remoteAddress, key);
      if (throttled) return await refused(throttled.retryAfterMs);
      const accountId = await this.#services.tokens.verify(credentials);
      const account = accountId ? await server.store.getAccount(accountId) : null;
      if (!account || account.disabled) {
        await this.#throttle.recordFailure(req.remoteAddress, key);
        await server.policy?.recordAuthFailure(req.remoteAddress);
        return denied("Invalid or revoked token.");
      }
      return { ok: true, account, via: "bearer" };
    }
    return denied("Unsupported authentication scheme.");
  }

  /** `client_cert_subject` in canonical RFC 4514 form (null when unset or malformed). */
  #canonicalSubject(configured: string | undefined): string | null {
    if (configured === undefined) return null;
    let canonical = this.#subjects.get(configured);
    if (canonical === undefined) {
      try {
        canonical = canonicalDn(configured);
      } catch (err) {
        this.#services.server.log.error("malformed jmap.trusted_services client_cert_subject", {
          subject: configured,
          error: (err as Error).message,
        });
        canonical = null;
      }
      this.#subjects.set(configured, canonical);
    }
    return canonical;
  }

  /** A remembered Basic login, valid only while the account is enabled and its password unchanged. */
  async #cachedBasic(key: string): Promise<Account | null> {
    const hit = this.#basicCache.get(key);
    if (!hit) return null;
    const store = this.#services.server.store;
    if (hit.expires <= this.#services.server.clock.now().getTime()) {
      this.#basicCache.delete(key);
      return null;
    }
    const account = await store.getAccount(hit.accountId);
    const secrets = account ? await store.getSecrets(account.id) : null;
    if (!account || account.disabled || secrets?.passwordHash !== hit.passwordHash) {
      this.#basicCache.delete(key);
      return null;
    }
    return account;
  }

  #rememberBasic(key: string, accountId: string, passwordHash: string): void {
    if (this.#basicCache.size >= BASIC_CACHE_MAX) this.#basicCache.clear();
    this.#basicCache.set(key, {
      accountId,
      passwordHash,
      expires: this.#services.server.clock.now().getTime() + BASIC_CACHE_TTL_MS,
    });
  }

  async #actAs(user: string, req: AuthRequest, via: "trusted", service: string): Promise<AuthOutcome> {
    const account = await this.#services.server.store.getAccountByAddress(user);
    if (!account || account.disabled) {
      this.#services.server.log.warn("trusted request for unknown user", {
        service,
        client_ip: req.remoteAddress,
      });
      return { ok: false, status: 401, detail: "Unknown user." };
    }
    return { ok: true, account, via };
  }
}
