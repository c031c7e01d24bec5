/**
 * The worker side of `deflater.ts`: deflates chunks of large blobs off the main thread (Deno's
 * `node:zlib` callbacks run the compression on the calling thread, so they would stall every
 * connection for the tens of milliseconds a megabyte takes).
 *
 * Message in: `{ id, data }` (the chunk's buffer, transferred). Message out: `{ id, data }` with
 * the raw DEFLATE (RFC 1951) of the chunk, or `data: null` when it would not save a tenth (the
 * caller stores the chunk as it is), or `{ id, error }`.
 *
 * @module
 */
import { deflateIfWorth } from "./blob_file_format.ts";

/** A chunk to deflate. */
export interface DeflateRequest {
  id: number;
  data: Uint8Array;
}

/** The deflated chunk, null when not worth keeping, or an error. */
export type DeflateReply = { id: number; data: Uint8Array | null } | { id: number; error: string };

/** The worker's global scope (typed here, not through the deno.worker lib, which would leak). */
const scope = globalThis as unknown as {
  postMessage(m: DeflateReply, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<DeflateRequest>) => void) | null;
};

scope.onmessage = (e: MessageEvent<DeflateRequest>) => {
  const { id, data } = e.data;
  try {
    const z = deflateIfWorth(data);
    if (z === null) {
      scope.postMessage({ id, data: null });
      return;
    }
    // A copy of its own, so its buffer can be transferred.
    const out = z.slice();
    scope.postMessage({ id, data: out }, [out.buffer]);
  } catch (err) {
    scope.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
};
