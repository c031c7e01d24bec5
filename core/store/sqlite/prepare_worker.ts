/**
 * The worker side of `preparer.ts`: hashes, deflates and indexes delivered messages
 * (`prepareMessage`) off the main thread, so the event loop does only the SQL of each delivery.
 *
 * Message in: a batch of `{ id, bytes }` (copies). Message out: one reply per batch, each message's
 * blob id, index and deflated form (`packed: null` when the bytes are stored as they are), or its
 * error. Batches, because each message between threads costs the event loop about as much as
 * preparing one 4 KB message.
 *
 * @module
 */
import { type PreparedIndex, prepareIndex, prepareMessage } from "./message_prep.ts";

/** Messages to prepare. */
export interface PrepareRequest {
  /** `indexOnly`: the index alone (bytes already stored: blob id and stored form not needed). */
  batch: { id: number; bytes: Uint8Array; indexOnly?: boolean }[];
}

/** One message's result: what `prepareMessage` gives but the bytes the caller has. */
export type PrepareResult =
  | { id: number; blobId: string; index: PreparedIndex; packed: Uint8Array | null; rawSize: number | null }
  | { id: number; index: PreparedIndex }
  | { id: number; error: string };

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
  for (const { id, bytes, indexOnly } of e.data.batch) {
    try {
      if (indexOnly) {
        results.push({ id, index: prepareIndex(bytes) });
        continue;
      }
      const p = prepareMessage(bytes);
      const deflated = p.packed.data !== bytes;
      results.push({
        id,
        blobId: p.blobId,
        index: p.index,
        packed: deflated ? p.packed.data : null,
        rawSize: p.packed.rawSize,
      });
    } catch (err) {
      results.push({ id, error: err instanceof Error ? err.message : String(err) });
    }
  }
  scope.postMessage({ results });
};
