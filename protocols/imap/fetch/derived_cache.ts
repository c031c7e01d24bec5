/**
 * FETCH items derived from a message's bytes alone (ENVELOPE, BODY, BODYSTRUCTURE), kept formatted
 * so that a client listing the same messages again (a FETCH 1:20 ENVELOPE after each SELECT) costs
 * no blob read and no MIME parse; Dovecot keeps the same items in its index cache.
 *
 * Keyed by blob id: a blob id is the SHA-256 of the bytes (`BlobStore`), so an entry can never go
 * stale and one cache serves every session and account of the process. Bounded by the bytes it
 * holds (values and keys); the least recently used entries go first.
 *
 * @module
 */

/** The cached items; `utf8` is whether the session enabled UTF8=ACCEPT (RFC 9755 changes quoting). */
export type DerivedItem = "ENVELOPE" | "BODY" | "BODYSTRUCTURE";

/** Bytes of formatted items the process keeps at most. */
export const DERIVED_CACHE_BYTES = 8 * 1024 * 1024;

/** Items over this size are not kept (a deep BODYSTRUCTURE would push out many envelopes). */
const MAX_ENTRY_BYTES = 64 * 1024;

/** A least-recently-used map from key to formatted bytes, bounded by their total size. */
export class DerivedCache {
  #map = new Map<string, Uint8Array>();
  #bytes = 0;

  /** @param maxBytes total size of the values kept at most */
  constructor(readonly maxBytes: number) {}

  /** The key of one item of one blob. */
  static key(blobId: string, item: DerivedItem, utf8: boolean): string {
    return `${blobId} ${item}${utf8 ? " u" : ""}`;
  }

  /** Bytes held now (values and keys). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether the key is held (its place in the order is left as it is). */
  peek(key: string): boolean {
    return this.#map.has(key);
  }

  /** The value, now the most recently used; undefined when not held. */
  get(key: string): Uint8Array | undefined {
    const v = this.#map.get(key);
    if (v === undefined) return undefined;
    this.#map.delete(key);
    this.#map.set(key, v);
    return v;
  }

  /** Keeps a value (callers must not change it afterwards), dropping the oldest ones over the bound. */
  set(key: string, value: Uint8Array): void {
    if (value.length > MAX_ENTRY_BYTES || value.length > this.maxBytes) return;
    const old = this.#map.get(key);
    if (old !== undefined) {
      this.#bytes -= old.length + key.length;
      this.#map.delete(key);
    }
    this.#map.set(key, value);
    this.#bytes += value.length + key.length;
    for (const [k, v] of this.#map) {
      if (this.#bytes <= this.maxBytes) break;
      this.#map.delete(k);
      this.#bytes -= v.length + k.length;
    }
  }
}

/** The process's cache (entries never go stale, see the module comment). */
export const derivedCache = new DerivedCache(DERIVED_CACHE_BYTES);
