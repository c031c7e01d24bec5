/**
 * The verification core shared by `verifyPassword` and every SASL mechanism: look the account up,
 * check the credentials, apply throttling, report failures. Mechanisms supply only the check.
 *
 * @module
 */
import type { Store } from "../store/store.ts";
import type { Account, AccountSecrets } from "../store/types.ts";
import type { AuthContext, AuthResult } from "./types.ts";
import type { AuthThrottle } from "./throttle.ts";
import { verifyPasswordHash } from "./password.ts";
import type { CredentialCache } from "./credential_cache.ts";

/** An account and its stored secrets. */
export interface Credentials {
  account: Account;
  secrets: AccountSecrets;
}

/**
 * Checks credentials against what is stored. Called with null for an unknown user (or one without
 * secrets): it must then do the same work against dummy data and return false, so that timing does
 * not reveal which accounts exist.
 */
export type CredentialCheck = (credentials: Credentials | null) => boolean | Promise<boolean>;

/** Called after every failed or throttled attempt (the policy layer counts them across protocols). */
export type AuthFailureHook = (ctx: AuthContext, username: string, reason: "invalid" | "throttled") => void;

/** Longest login name looked up (an address is at most 254 octets, RFC 5321 §4.5.3.1.3 path minus brackets). */
const MAX_USERNAME_LENGTH = 320;

/** Runs credential checks with throttling; one per service. */
export class Authenticator {
  readonly #store: Store;
  readonly #throttle: AuthThrottle;
  readonly #onFailure: AuthFailureHook | undefined;
  readonly #cache: CredentialCache | undefined;
  /** Tail of the queue of checks per login name (see `verify`). */
  readonly #queues = new Map<string, Promise<unknown>>();

  /**
   * Creates the authenticator over a store and a throttle; `cache` remembers verified passwords so
   * repeated logins skip the KDF (see `credential_cache.ts`).
   */
  constructor(store: Store, throttle: AuthThrottle, onFailure?: AuthFailureHook, cache?: CredentialCache) {
    this.#store = store;
    this.#throttle = throttle;
    this.#onFailure = onFailure;
    this.#cache = cache;
  }

  /** The refusal when the IP or the account is throttled, else null (nothing is counted). */
  async throttled(username: string, ctx: AuthContext): Promise<AuthResult | null> {
    const refusal = await this.#throttle.check(ctx.remoteAddress, username);
    if (refusal) this.#reportFailure(ctx, username, "throttled");
    return refusal;
  }

  /** Looks an account and its secrets up by login name (the full address); null when unknown. */
  async lookup(username: string): Promise<Credentials | null> {
    // Login names are full addresses; the store matches them case-insensitively.
    if (username.length === 0 || username.length > MAX_USERNAME_LENGTH) return null;
    const account = await this.#store.getAccountByAddress(username);
    if (!account) return null;
    const secrets = await this.#store.getSecrets(account.id);
    return secrets ? { account, secrets } : null;
  }

  /**
   * Verifies a username/password pair against the stored scrypt hash. A pair that verified within
   * the cache's TTL, against the same stored hash, is accepted without running scrypt again; the
   * throttle, the lookup and the disabled check still run every time.
   */
  verifyPassword(username: string, password: string, ctx: AuthContext): Promise<AuthResult> {
    return this.verify(username, ctx, async (c) => {
      const stored = c?.secrets.passwordHash;
      if (c && stored && this.#cache?.has(c.account.id, stored, password)) return true;
      const valid = await verifyPasswordHash(password, stored);
      if (valid && c && stored) this.#cache?.add(c.account.id, stored, password);
      return valid;
    });
  }

  /**
   * Runs `check` for `username` under throttling: refused at once when throttled; a failure is
   * counted against the IP and the account; a success clears the account's record. A disabled
   * account with valid credentials yields "disabled" (wrong credentials always yield "invalid", so
   * the account's state is never revealed to a guesser).
   *
   * Checks for the same login name run one after the other, so parallel connections cannot fire a
   * burst of guesses that all pass the throttle before the first failure is counted.
   */
  verify(username: string, ctx: AuthContext, check: CredentialCheck): Promise<AuthResult> {
    const key = username.toLowerCase();
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const run = previous.then(() => this.#verifyNow(username, ctx, check));
    const tail = run.catch(() => {});
    this.#queues.set(key, tail);
    void tail.then(() => {
      if (this.#queues.get(key) === tail) this.#queues.delete(key);
    });
    return run;
  }

  async #verifyNow(username: string, ctx: AuthContext, check: CredentialCheck): Promise<AuthResult> {
    const refusal = await this.throttled(username, ctx);
    if (refusal) return refusal;
    const credentials = await this.lookup(username);
    const valid = await check(credentials);
    if (!valid || !credentials) {
      await this.#throttle.recordFailure(ctx.remoteAddress, username);
      this.#reportFailure(ctx, username, "invalid");
      return { ok: false, reason: "invalid" };
    }
    if (credentials.account.disabled) return { ok: false, reason: "disabled" };
    await this.#throttle.recordSuccess(ctx.remoteAddress, username);
    return { ok: true, account: credentials.account };
  }

  #reportFailure(ctx: AuthContext, username: string, reason: "invalid" | "throttled"): void {
    if (!this.#onFailure) return;
    try {
      this.#onFailure(ctx, username, reason);
    } catch {
      // A faulty hook must not turn a failed login into a crash.
    }
  }
}
