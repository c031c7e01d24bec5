/**
 * Envelope recipient resolution for SMTP RCPT with a short cache (a burst of messages to the same
 * address costs one lookup). Local domains, aliases, catch-all and plus-addressing are the store's
 * rules (`Store.resolveRecipient`); this only caches and classifies.
 *
 * @module
 */
import { parseDomain } from "../store/addresses.ts";
import type { Clock } from "../clock.ts";
import type { Store } from "../store/store.ts";
import type { Account } from "../store/types.ts";

/** How a recipient resolved. */
export type Resolution =
  | { kind: "local"; accounts: Account[] }
  /** The domain is local but nobody receives this address. */
  | { kind: "unknown" }
  /** The domain is not ours: relay rules apply. */
  | { kind: "remote" };

interface Entry {
  value: Resolution;
  expires: number;
}

/** Resolves recipients through the store, caching answers for `ttlMs`. */
export class RecipientResolver {
  #store: Store;
  #clock: Clock;
  #ttlMs: number;
  #max: number;
  #postmaster: string | undefined;
  #cache = new Map<string, Entry>();

  /**
   * @param store the directory
   * @param clock clock of record
   * @param opts cache lifetime (default 10 s) and size (default 10,000 entries); `postmaster`, the
   *   address that receives `postmaster@` a local domain where nobody else does (RFC 5321 §4.5.1)
   */
  constructor(
    store: Store,
    clock: Clock,
    opts: { ttlMs?: number; maxEntries?: number; postmaster?: string } = {},
  ) {
    this.#store = store;
    this.#clock = clock;
    this.#ttlMs = opts.ttlMs ?? 10_000;
    this.#max = opts.maxEntries ?? 10_000;
    this.#postmaster = opts.postmaster;
  }

  /** Resolves `local@domain` (the domain normalised by core/store/addresses.ts: case, IDNA). */
  async resolve(address: string): Promise<Resolution> {
    const at = address.lastIndexOf("@");
    // An address literal or other non-host domain is kept as written (lowercased): never local.
    const domain = at === -1
      ? null
      : parseDomain(address.slice(at + 1)) ?? address.slice(at + 1).toLowerCase();
    const key = domain === null ? address : `${address.slice(0, at)}@${domain}`;
    const now = this.#clock.now().getTime();
    const hit = this.#cache.get(key);
    if (hit && hit.expires > now) return hit.value;
    const value = await this.#lookup(key, domain);
    if (this.#cache.size >= this.#max) {
      // Drop the oldest entries (insertion order) rather than grow.
      for (const k of this.#cache.keys()) {
        this.#cache.delete(k);
        if (this.#cache.size < this.#max / 2) break;
      }
    }
    this.#cache.set(key, { value, expires: now + this.#ttlMs });
    return value;
  }

  async #lookup(address: string, domain: string | null): Promise<Resolution> {
    if (domain === null) return { kind: "unknown" };
    if (!(await this.#store.isLocalDomain(domain))) return { kind: "remote" };
    let accounts = await this.#store.resolveRecipient(address);
    // RFC 5321 §4.5.1: postmaster (any case) at every domain served MUST be accepted; a domain
    // without its own postmaster account or alias sends it to the server's postmaster.
    if ((!accounts || accounts.length === 0) && this.#postmaster && /^postmaster@/i.test(address)) {
      accounts = await this.#store.resolveRecipient(this.#postmaster);
    }
    if (!accounts || accounts.length === 0) return { kind: "unknown" };
    return { kind: "local", accounts };
  }
}
