/**
 * The checks every store backend makes on a `NewMessage` before it looks anything up.
 *
 * @module
 */
import { BLOB_ID_RE } from "./blob_store.ts";
import { type NewMessage, StoreError } from "./types.ts";

/** Throws `invalid` for a malformed blob id or a message placed in no mailbox. */
export function checkNewMessage(msg: NewMessage): void {
  if (!BLOB_ID_RE.test(msg.blobId)) throw new StoreError("invalid", `Invalid blob id: "${msg.blobId}"`);
  if (!Array.isArray(msg.mailboxIds) || msg.mailboxIds.length === 0) {
    throw new StoreError("invalid", "A message needs at least one mailbox");
  }
}
