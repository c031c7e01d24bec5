/**
 * The worker side of `preparer.ts`: indexes large stored messages (`prepareIndex`: MIME summary,
 * header text, sort keys) off the main thread, where a multi-megabyte message would hold every
 * session up for milliseconds.
 *
 * Message in: a batch of `{ id, bytes }` (copies). Message out: one reply per batch, each
 * message's index or its error, in the batch's order.
 *
 * @module
 */
import { type PreparedIndex, prepareIndex } from "./message_prep.ts";

/** Messages to index. */
export interface PrepareRequest {
  batch: { id: number; bytes: Uint8Array }[];
}

/** One message's index, or an error. */
export type PrepareResult = { id: number; index: PreparedIndex } | { id: number; error: string };

/** The results of one batch, in its order. */
export interface PrepareReply {
  results: PrepareResult[];
}

/** The worker's global scope (typed here, not through the deno.worker lib, which would leak). */
const scope = globalThis as unknown as {
  postMessage(m: PrepareReply): void;
  onmessage: ((e: MessageEvent<PrepareRequest>) => void) | null;
};

scope.onmessage = (e: MessageEvent<PrepareRequest>) => {
  const results: PrepareResult[] = [];
  for (const { id, bytes } of e.data.batch) {
    try {
      results.push({ id, index: prepareIndex(bytes) });
    } catch (err) {
      results.push({ id, error: err instanceof Error ? err.message : String(err) });
    }
  }
  scope.postMessage({ results });
};
