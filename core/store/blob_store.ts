/**
 * Content-addressed blob storage. The filesystem implementation writes to a temp file, fsyncs it,
 * renames it to its SHA-256 name and fsyncs the directory; an S3-compatible one can follow.
 * Reference counts live in the Store's database, not here.
 *
 * @module
 */
import type { BlobId } from "./types.ts";

/** A well-formed blob id: the SHA-256 of the bytes in lowercase hex. */
export const BLOB_ID_RE = /^[0-9a-f]{64}$/;

/** Where message bodies live. */
export interface BlobStore {
  /** Stores bytes durably; returns their id (SHA-256 hex) and size. Idempotent. */
  put(data: Uint8Array | ReadableStream<Uint8Array>): Promise<{ blobId: BlobId; size: number }>;
  /** The whole blob, or null if absent. */
  get(blobId: BlobId): Promise<Uint8Array | null>;
  /** A byte range [start, end) of the blob, or the whole blob. Null if absent. */
  stream(blobId: BlobId, range?: { start: number; end: number }): Promise<ReadableStream<Uint8Array> | null>;
  /** Size in bytes, or null if absent. */
  size(blobId: BlobId): Promise<number | null>;
  has(blobId: BlobId): Promise<boolean>;
  delete(blobId: BlobId): Promise<void>;
  /** Every stored blob id (for garbage collection). */
  list(): AsyncIterable<BlobId>;
}
