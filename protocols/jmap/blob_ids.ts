/**
 * JMAP blob ids (RFC 8620 §6). Opaque to clients; Tern encodes where the bytes come from so access
 * is checked against the account that asks:
 * - `M<messageId>`: the raw message of an Email;
 * - `P<section>-<messageId>`: a body part of an Email, transfer-decoded (section dots as `_`);
 * - `U<sha256>`: an uploaded blob (content address in the blob store).
 *
 * @module
 */
import { BLOB_ID_RE } from "../../core/store/blob_store.ts";

/** Where a blob id points. */
export type BlobRef =
  | { kind: "message"; messageId: string }
  | { kind: "part"; messageId: string; section: string }
  | { kind: "upload"; blobId: string };

/** Blob id of an Email's raw message. */
export function messageBlobId(messageId: string): string {
  return `M${messageId}`;
}

/** Blob id of a body part (IMAP section number). */
export function partBlobId(messageId: string, section: string): string {
  return `P${section.replaceAll(".", "_")}-${messageId}`;
}

/** Blob id of an upload. */
export function uploadBlobId(sha256: string): string {
  return `U${sha256}`;
}

/** Decodes a blob id; null when it is not one of ours. */
export function parseBlobId(id: string): BlobRef | null {
  if (id.length < 2) return null;
  const rest = id.slice(1);
  switch (id[0]) {
    case "M":
      return { kind: "message", messageId: rest };
    case "P": {
      const m = /^([0-9]+(?:_[0-9]+)*)-(.+)$/.exec(rest);
      return m ? { kind: "part", section: m[1]!.replaceAll("_", "."), messageId: m[2]! } : null;
    }
    case "U":
      return BLOB_ID_RE.test(rest) ? { kind: "upload", blobId: rest } : null;
    default:
      return null;
  }
}
