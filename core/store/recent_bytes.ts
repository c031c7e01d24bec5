/**
 * A small LRU of recently stored blobs' bytes, bounded by total size: delivery reads a blob back
 * right after writing it (indexing, vacation replies), and this spares that read.
 *
 * @module
 */
import type { BlobId } from "./types.ts";

/** Recently stored bytes by blob id, at most `maxBytes` in all. */
export class RecentBytes {
  readonly #items = new Map<BlobId, Uint8Array>();
  readonly #maxBytes: number;
  #bytes = 0;

  /** @param maxBytes the most bytes kept (the oldest go first) */
  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** The kept bytes of a blob (the caller must not modify them), or undefined. */
  get(blobId: BlobId): Uint8Array | undefined {
    return this.#items.get(blobId);
  }

  /** Keeps a blob's bytes (no-op when already kept). */
  remember(blobId: BlobId, bytes: Uint8Array): void {
    if (this.#items.has(blobId)) return;
    this.#items.set(blobId, bytes);
    this.#bytes += bytes.length;
    for (const [id, b] of this.#items) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#items.delete(id);
      this.#bytes -= b.length;
    }
  }

  /** Drops a blob's bytes. */
  forget(blobId: BlobId): void {
    const b = this.#items.get(blobId);
    if (b) {
      this.#items.delete(blobId);
      this.#bytes -= b.length;
    }
  }

  /** Drops everything. */
  clear(): void {
    this.#items.clear();
    this.#bytes = 0;
  }
}
