/**
 * POP3 wire sizes (`Store.pop3Sizes`): each blob's size with every line ending as CRLF (RFC 1939
 * §11), computed once by core/pop3 and kept by the store. A cache: losing entries only means
 * computing them again, and an entry goes away with its blob.
 *
 * @module
 */
import type { BlobId } from "../types.ts";

/** Cached CRLF sizes by blob id. */
export interface Pop3SizeStore {
  /** The known sizes of these blobs (unknown ones are absent from the map). */
  get(blobIds: BlobId[]): Promise<Map<BlobId, number>>;
  /** Records sizes; entries whose blob no longer exists are skipped. Need not be fsynced. */
  put(sizes: Map<BlobId, number>): Promise<void>;
}
