/**
 * Records of blobs uploaded over JMAP (`Store.uploads`, RFC 8620 §6.1): which account uploaded which
 * blob, with its media type, so downloads and Email/import check ownership.
 *
 * @module
 */
import type { AccountId, BlobId } from "../types.ts";

/** One uploaded blob. */
export interface UploadRecord {
  accountId: AccountId;
  blobId: BlobId;
  type: string;
  size: number;
  created: Date;
}

/** Upload records of all accounts. */
export interface UploadStore {
  /** Records an upload at `now` (idempotent: a re-upload refreshes type and time). */
  record(accountId: AccountId, blobId: BlobId, type: string, size: number, now: Date): Promise<UploadRecord>;
  /** The record of a blob uploaded by an account, or null. */
  get(accountId: AccountId, blobId: BlobId): Promise<UploadRecord | null>;
}
