/**
 * A small cache of Email/query results, keyed by account, filter, sort and collapseThreads. An
 * entry holds either the complete result list or a prefix of it (see email_query_plan.ts), the
 * state it was computed at, and a receivedAt threshold that bounds the first result pages.
 *
 * @module
 */

/** One cached query result. */
export interface QueryCacheEntry {
  /** Email state the ids were computed at. */
  state: string;
  ids: string[];
  /** True when `ids` is the whole result; false for a prefix. */
  complete: boolean;
  /**
   * receivedAt (ms) such that the results received at or after it are known to fill the first
   * pages, or null when unknown.
   */
  threshold: number | null;
  /**
   * For a query whose result depends only on which messages a mailbox holds (email_query_plan.ts
   * `membershipStamp`): that membership when `ids` was computed, so a later state that changed
   * nothing but keywords can reuse them. Absent otherwise.
   */
  stamp?: string;
}

/** LRU of query results. */
export class QueryCache {
  readonly #entries = new Map<string, QueryCacheEntry>();
  /** @param maxEntries results kept (least recently used dropped first) */
  constructor(readonly maxEntries = 64) {}

  /** The entry for `key` at any state (callers compare `state`), or null. */
  get(key: string): QueryCacheEntry | null {
    const e = this.#entries.get(key);
    if (!e) return null;
    this.#entries.delete(key);
    this.#entries.set(key, e);
    return e;
  }

  /** Stores an entry. */
  set(key: string, entry: QueryCacheEntry): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    while (this.#entries.size > this.maxEntries) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
  }
}
