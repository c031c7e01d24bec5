/**
 * `createAuthService`: the `AuthService` every protocol uses (password checks, SASL mechanisms,
 * secret derivation), with failed-attempt throttling per IP and per account.
 *
 * Login names are full addresses (`user@example.org`, domain and local part case-insensitive); a
 * bare local part never matches, so a login name is unambiguous across domains.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import type { Store } from "../store/store.ts";
import type { AccountSecrets } from "../store/types.ts";
import type { Config } from "../config/types.ts";
import type { Clock } from "../clock.ts";
import { systemClock } from "../clock.ts";
import type { RateLimiter } from "../policy/rate_limiter.ts";
import type { AuthContext, AuthResult, AuthService, SaslExchange } from "./types.ts";
import { Authenticator, type AuthFailureHook } from "./authenticator.ts";
import { createAuthThrottle } from "./throttle.ts";
import { CredentialCache } from "./credential_cache.ts";
import { DEFAULT_SCRYPT_PARAMS, hashPassword, type ScryptParams } from "./password.ts";
import { createScramSecret, SCRAM_DEFAULT_ITERATIONS } from "./scram.ts";
import { createPlainExchange } from "./sasl_plain.ts";
import { createLoginExchange } from "./sasl_login.ts";
import { createCramMd5Exchange, createCramMd5Secret } from "./sasl_cram_md5.ts";
import { createScramSha256Exchange } from "./sasl_scram_sha256.ts";

/** SASL mechanism names. */
export const MECHANISM = Object.freeze(
  {
    plain: "PLAIN",
    login: "LOGIN",
    scramSha256: "SCRAM-SHA-256",
    cramMd5: "CRAM-MD5",
  } as const,
);

/** Options of `createAuthService`. */
export interface AuthServiceOptions {
  /**
   * Called after every failed (`invalid`) or refused (`throttled`) attempt, from every protocol,
   * so the policy layer can count failures per IP and ban. Exceptions it throws are ignored.
   */
  onFailure?: AuthFailureHook;
  /**
   * Limiter for the throttle's failure counters (e.g. a shared Redis one), configured with
   * `limit: auth.lockout_failures`, `windowMs: auth.lockout_seconds * 1000`. Default: in memory.
   */
  limiter?: RateLimiter;
  /** scrypt cost for new password hashes (default N=2^14, r=8, p=1). */
  scrypt?: ScryptParams;
  /** PBKDF2 iterations for new SCRAM-SHA-256 secrets (default and minimum 4096, RFC 7677 §4). */
  scramIterations?: number;
  /** Server nonce source for SCRAM (tests only). */
  scramNonce?: () => string;
}

/**
 * Creates the authentication service over a store. Throttling parameters come from `config.auth`
 * at creation; whether CRAM-MD5 is offered is read from `config.auth.cram_md5` on each call.
 *
 * @example
 * ```ts
 * import { SqliteStore } from "../store/sqlite/sqlite_store.ts";
 * import { testConfig } from "../config/test_config.ts";
 * const dir = await Deno.makeTempDir();
 * const store = await SqliteStore.open({ dataDir: dir });
 * const auth = createAuthService(store, testConfig(dir), undefined, {
 *   onFailure: (ctx, username, reason) => console.log(ctx.remoteAddress, username, reason),
 * });
 * await store.addDomain("example.org");
 * await store.createAccount({ address: "ada@example.org", secrets: await auth.deriveSecrets("pencil") });
 * const ctx = { remoteAddress: "192.0.2.1", protocol: "imap", secure: true } as const;
 * console.log((await auth.verifyPassword("ada@example.org", "pencil", ctx)).ok); // true
 * await store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function createAuthService(
  store: Store,
  config: Config,
  clock: Clock = systemClock,
  opts: AuthServiceOptions = {},
): AuthService {
  const throttle = createAuthThrottle(config.auth, {
    clock,
    ...(opts.limiter ? { limiter: opts.limiter } : {}),
  });
  const cache = new CredentialCache({
    ttlMs: config.auth.cache_ttl * 1000,
    maxEntries: config.auth.cache_size,
    clock,
  });
  const auth = new Authenticator(store, throttle, opts.onFailure, cache);
  const scramIterations = opts.scramIterations ?? SCRAM_DEFAULT_ITERATIONS;
  const scryptParams = opts.scrypt ?? DEFAULT_SCRYPT_PARAMS;
  const fakeSaltKey = new Uint8Array(randomBytes(32));

  const mechanisms = (): string[] => {
    const list: string[] = [MECHANISM.plain, MECHANISM.login, MECHANISM.scramSha256];
    if (config.auth.cram_md5) list.push(MECHANISM.cramMd5);
    return list;
  };

  return {
    verifyPassword(username: string, password: string, ctx: AuthContext): Promise<AuthResult> {
      return auth.verifyPassword(username, password, ctx);
    },
    mechanisms,
    startSasl(mechanism: string, ctx: AuthContext): SaslExchange | null {
      // RFC 4422 §3.1 names are upper case; clients and IMAP atoms vary, so compare case-insensitively.
      switch (mechanism.toUpperCase()) {
        case MECHANISM.plain:
          return createPlainExchange(auth, ctx);
        case MECHANISM.login:
          return createLoginExchange(auth, ctx);
        case MECHANISM.scramSha256:
          return createScramSha256Exchange(auth, ctx, {
            fakeSaltKey,
            iterations: scramIterations,
            ...(opts.scramNonce ? { nonce: opts.scramNonce } : {}),
          });
        case MECHANISM.cramMd5:
          return config.auth.cram_md5 ? createCramMd5Exchange(auth, ctx, config.hostname, clock) : null;
        default:
          return null;
      }
    },
    async deriveSecrets(password: string): Promise<AccountSecrets> {
      const [passwordHash, scramSha256] = await Promise.all([
        hashPassword(password, scryptParams),
        createScramSecret(password, scramIterations),
      ]);
      const secrets: AccountSecrets = { passwordHash, scramSha256 };
      if (config.auth.cram_md5) secrets.cramMd5 = createCramMd5Secret(password);
      return secrets;
    },
  };
}
