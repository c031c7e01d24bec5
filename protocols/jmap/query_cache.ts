/**
 * A small cache of full Email/query results, keyed by account, filter, sort and collapseThreads,
 * valid only while the account's Email state is unchanged. Paging through a large mailbox (and a
 * client polling its mailbox view) then costs one store query per state, not one per request.
 *
 * @module
 */

/** LRU of query results tagged with the state they were computed at. */
export class QueryCache {
  readonly #entries = new Map<string, { state: string; ids: string[] }>();
  /** @param maxEntries results kept (least recently used dropped first) */
  constructor(readonly maxEntries = 64) {}

  /** Cached ids for `key` at `state`, or null. */
  get(key: string, state: string): string[] | null {
    const e = this.#entries.get(key);
    if (!e) return null;
    this.#entries.delete(key);
    if (e.state !== state) return null;
    this.#entries.set(key, e);
    return e.ids;
  }

  /** Stores ids computed at `state`. */
  set(key: string, state: string, ids: string[]): void {
    this.#entries.delete(key);
    this.#entries.set(key, { state, ids });
    while (this.#entries.size > this.maxEntries) {
      this.#entries.delete(this.#entries.keys().next().value!);
    }
  }
}
