/**
 * A cache of recently verified passwords, so a client that logs in again and again (a mail client
 * opening one connection per folder, a sync tool polling every minute) does not pay for scrypt each
 * time: the same idea as Dovecot's auth cache, kept deliberately narrow.
 *
 * - Only successful verifications are remembered; a wrong password always takes the slow path, so
 *   guessing is exactly as expensive as without the cache.
 * - An entry is an HMAC-SHA256, under a random key that never leaves the process, of the account,
 *   the stored password hash and the presented password. The presented password is never kept, and
 *   a password change (a new stored hash, with a new salt) makes every old entry unreachable at once.
 * - Entries live `ttlMs` and the cache holds at most `maxEntries`, dropping the oldest first.
 *
 * @module
 */
import { createHmac, randomBytes } from "node:crypto";
import type { Clock } from "../clock.ts";
import { systemClock } from "../clock.ts";

/** Options of `CredentialCache`. */
export interface CredentialCacheOptions {
  /** How long a verified password is remembered, in ms; 0 disables the cache. */
  ttlMs: number;
  /** Most entries kept; the oldest go first. */
  maxEntries: number;
  /** Clock of record (tests inject one). */
  clock?: Clock;
}

/** Remembers (account, stored hash, password) triples that verified, for a bounded time. */
export class CredentialCache {
  readonly #key = randomBytes(32);
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #clock: Clock;
  /** Digest → expiry (ms since the epoch); insertion order is age order. */
  readonly #entries = new Map<string, number>();

  /** Creates an empty cache. */
  constructor(opts: CredentialCacheOptions) {
    this.#ttlMs = Math.max(0, opts.ttlMs);
    this.#maxEntries = Math.max(0, Math.floor(opts.maxEntries));
    this.#clock = opts.clock ?? systemClock;
  }

  /** Whether the cache does anything (a positive TTL and size). */
  get enabled(): boolean {
    return this.#ttlMs > 0 && this.#maxEntries > 0;
  }

  /** Number of live or not yet swept entries (for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }

  /** True when this password verified against this stored hash of this account within the TTL. */
  has(accountId: string, storedHash: string, password: string): boolean {
    if (!this.enabled) return false;
    const digest = this.#digest(accountId, storedHash, password);
    const expires = this.#entries.get(digest);
    if (expires === undefined) return false;
    if (expires <= this.#clock.now().getTime()) {
      this.#entries.delete(digest);
      return false;
    }
    return true;
  }

  /** Records a successful verification. */
  add(accountId: string, storedHash: string, password: string): void {
    if (!this.enabled) return;
    const digest = this.#digest(accountId, storedHash, password);
    this.#entries.delete(digest);
    this.#entries.set(digest, this.#clock.now().getTime() + this.#ttlMs);
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  /** Forgets everything (e.g. on a configuration reload). */
  clear(): void {
    this.#entries.clear();
  }

  #digest(accountId: string, storedHash: string, password: string): string {
    // Lengths first, so no two different triples feed the MAC the same bytes.
    return createHmac("sha256", this.#key)
      .update(`${accountId.length}:${accountId}${storedHash.length}:${storedHash}`)
      .update(password, "utf8")
      .digest("base64");
  }
}
