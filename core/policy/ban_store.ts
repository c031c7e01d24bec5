/**
 * Where authentication-failure bans are kept: the store keeps them (`Store.bans`, so that the CLI,
 * another process, can list and clear them while the server runs); `MemoryBanStore` serves
 * policies built without a store (unit tests).
 *
 * @module
 */
import type { Ban, BanStore } from "../store/records/bans.ts";

export type { Ban, BanStore } from "../store/records/bans.ts";

/** Bans in memory (library use without a SQLite store, and unit tests). */
export class MemoryBanStore implements BanStore {
  readonly #bans = new Map<string, Ban>();

  list(now: Date): Promise<Ban[]> {
    return Promise.resolve([...this.#bans.values()].filter((b) => b.until > now));
  }

  get(address: string, now: Date): Promise<Ban | null> {
    const b = this.#bans.get(address);
    return Promise.resolve(b && b.until > now ? b : null);
  }

  put(ban: Ban): Promise<void> {
    const old = this.#bans.get(ban.address);
    this.#bans.set(ban.address, old && old.until > ban.until ? { ...ban, until: old.until } : ban);
    return Promise.resolve();
  }

  clear(address?: string): Promise<boolean> {
    if (address === undefined) {
      const had = this.#bans.size > 0;
      this.#bans.clear();
      return Promise.resolve(had);
    }
    return Promise.resolve(this.#bans.delete(address));
  }
}
