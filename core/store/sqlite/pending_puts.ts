/**
 * Puts of content-addressed blobs that no message references yet. A `blobs.put` promises the bytes
 * are stored; the caller then references them (`addMessages`) in a later write. If, in between, the
 * last message holding the same bytes is destroyed, its release must not remove them: an IMAP
 * APPEND of bytes identical to a message just expunged elsewhere would fail with NO [NONEXISTENT].
 * The release asks `pending` first and leaves pending bytes to garbage collection (collected only
 * once older than the store's grace period, and only when still unreferenced).
 *
 * In memory (after a restart every put is older than any release) and bounded: an entry lives at
 * most `ttlMs`, and past `max` entries the oldest goes first.
 *
 * @module
 */
import type { BlobId } from "../types.ts";

/** How long a put protects its bytes from a release when no message references them. */
export const PENDING_PUT_TTL_MS = 10 * 60_000;
/** Most puts tracked at once. */
export const PENDING_PUT_MAX = 65_536;

/** Unreferenced puts by blob id: how many, and when the latest was made. */
export class PendingPuts {
  readonly #puts = new Map<BlobId, { n: number; at: number }>();
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;

  /**
   * @param ttlMs how long an entry lives without being settled
   * @param max most entries kept
   * @param now the clock (ms)
   */
  constructor(ttlMs = PENDING_PUT_TTL_MS, max = PENDING_PUT_MAX, now: () => number = Date.now) {
    this.#ttlMs = ttlMs;
    this.#max = Math.max(1, max);
    this.#now = now;
  }

  /** Number of blob ids tracked. */
  get size(): number {
    return this.#puts.size;
  }

  /** A put of `blobId` is starting (call before its bytes become visible). */
  add(blobId: BlobId): void {
    const now = this.#now();
    this.#prune(now);
    const e = this.#puts.get(blobId);
    // Re-inserted so the map stays in order of the latest put (the oldest are pruned first).
    if (e) this.#puts.delete(blobId);
    this.#puts.set(blobId, { n: (e?.n ?? 0) + 1, at: now });
    if (this.#puts.size > this.#max) this.#puts.delete(this.#puts.keys().next().value!);
  }

  /** One put of `blobId` is settled: a message references the bytes now, or its write failed. */
  settle(blobId: BlobId): void {
    const e = this.#puts.get(blobId);
    if (!e) return;
    if (--e.n <= 0) this.#puts.delete(blobId);
  }

  /** Whether a put of `blobId` may still be waiting for the write that references it. */
  pending(blobId: BlobId): boolean {
    const e = this.#puts.get(blobId);
    return e !== undefined && this.#now() - e.at < this.#ttlMs;
  }

  #prune(now: number): void {
    for (const [id, e] of this.#puts) {
      if (now - e.at < this.#ttlMs) break;
      this.#puts.delete(id);
    }
  }
}
