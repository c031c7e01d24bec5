/**
 * Which blob holds a message, remembered per store: a message's content never changes (its id
 * names one blob for its whole life, and ids are never reused), so once a FETCH has looked a
 * message up, a later FETCH of cached items only (derived_cache.ts) needs no store read at all.
 * A message expunged since is then still served, as RFC 2180 §4.1.1 prefers (and as the view's
 * expunge hold does). Bounded per store; the least recently used entries go first.
 *
 * @module
 */

/** Entries kept per store at most (about 100 bytes each). */
export const MESSAGE_BLOBS_MAX = 50_000;

/** Message id → blob id, least recently used first. */
export class MessageBlobs {
  #map = new Map<string, string>();

  /** @param max entries kept at most */
  constructor(readonly max: number = MESSAGE_BLOBS_MAX) {}

  /** Entries held now. */
  get size(): number {
    return this.#map.size;
  }

  /** The blob of a message, now the most recently used; undefined when not known. */
  get(messageId: string): string | undefined {
    const v = this.#map.get(messageId);
    if (v === undefined) return undefined;
    this.#map.delete(messageId);
    this.#map.set(messageId, v);
    return v;
  }

  /** Remembers a message's blob, dropping the oldest entries over the bound. */
  set(messageId: string, blobId: string): void {
    this.#map.delete(messageId);
    this.#map.set(messageId, blobId);
    for (const k of this.#map.keys()) {
      if (this.#map.size <= this.max) break;
      this.#map.delete(k);
    }
  }
}

const byStore = new WeakMap<object, MessageBlobs>();

/** The map of one store (message ids are only unique within a store). */
export function messageBlobsOf(store: object): MessageBlobs {
  let m = byStore.get(store);
  if (!m) byStore.set(store, m = new MessageBlobs());
  return m;
}
