/**
 * Authentication-failure bans (`Store.bans`): kept by the store so that the CLI (another process)
 * can list and clear them while the server runs.
 *
 * @module
 */

/** One banned address. */
export interface Ban {
  /** The banned address (IPv4, or the IPv6 /64 key). */
  address: string;
  /** When the ban ends. */
  until: Date;
  reason: string;
  created: Date;
}

/** Persistent ban list. */
export interface BanStore {
  /** Active bans (ended ones are left out). */
  list(now: Date): Promise<Ban[]>;
  /** The active ban of an address, if any. */
  get(address: string, now: Date): Promise<Ban | null>;
  /** Adds or extends a ban (a later `until` wins); ended bans may be dropped on the way. */
  put(ban: Ban): Promise<void>;
  /** Removes a ban; true if there was one. With no address, removes all and returns true if any. */
  clear(address?: string): Promise<boolean>;
}
