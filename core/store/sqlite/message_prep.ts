/**
 * What the SQLite store derives from a delivered message's bytes before its write job: the blob id
 * (SHA-256), the stored form of the bytes (deflated when worth it) and the index (header summary,
 * its stored JSON, raw header text, sort keys). Pure CPU over the bytes, so it can run on the
 * preparer's worker thread (`preparer.ts`, `prepare_worker.ts`) as well as on the main thread,
 * with the same result.
 *
 * @module
 */
import { encodeSummary, indexMessage, type MessageIndex } from "../message_index.ts";
import type { BlobId } from "../types.ts";
import { blobIdOf, type PackedInline, packInline } from "./tiered_blob_store.ts";

/** A message's index with the stored (JSON) form of its summary. */
export interface PreparedIndex extends MessageIndex {
  /** `encodeSummary(summary)`, the `blobs.summary` column. */
  summaryJson: string;
}

/** Everything a delivery's write job needs from the bytes. */
export interface PreparedMessage {
  /** The blob id: SHA-256 of `bytes`, hex. */
  blobId: BlobId;
  /** The message (the caller's copy; not changed). */
  bytes: Uint8Array;
  /** `bytes` as stored in `blob_data` (deflated when that saves a tenth; else `bytes` itself). */
  packed: PackedInline;
  /** Summary, header text and sort keys (`indexMessage`). */
  index: PreparedIndex;
}

/** Prepares `bytes` for storing (never throws on any message: `indexMessage` does not). */
export function prepareMessage(bytes: Uint8Array): PreparedMessage {
  return { blobId: blobIdOf(bytes), bytes, packed: packInline(bytes), index: prepareIndex(bytes) };
}

/** The index of `bytes` with its summary's stored form (bytes already stored). */
export function prepareIndex(bytes: Uint8Array): PreparedIndex {
  const index = indexMessage(bytes);
  return { ...index, summaryJson: encodeSummary(index.summary) };
}
