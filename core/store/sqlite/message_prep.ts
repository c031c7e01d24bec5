/**
 * A stored message's index with the stored form of its summary (`blobs.summary`): pure CPU over
 * the bytes, the same on the event loop and on the preparer's worker thread (`preparer.ts`,
 * `prepare_worker.ts`), which indexes large messages.
 *
 * @module
 */
import { encodeSummary, indexMessage, type MessageIndex } from "../message_index.ts";

/** A message's index with the stored (JSON) form of its summary. */
export interface PreparedIndex extends MessageIndex {
  /** `encodeSummary(summary)`, the `blobs.summary` column. */
  summaryJson: string;
}

/** `indexMessage(bytes)` with its summary's stored form (never throws: `indexMessage` does not). */
export function prepareIndex(bytes: Uint8Array): PreparedIndex {
  const index = indexMessage(bytes);
  return { ...index, summaryJson: encodeSummary(index.summary) };
}
