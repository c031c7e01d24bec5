/**
 * Records of blobs uploaded over JMAP (RFC 8620 §6.1), kept by the store (`Store.uploads`).
 *
 * @module
 */
export type { UploadRecord, UploadStore } from "../store/records/uploads.ts";
