/**
 * What `Store.backup` reports: a consistent online copy of a store (its database and blobs) made
 * while the server runs (`tern backup DEST`, restored with `tern restore SRC`).
 *
 * @module
 */

/** The result of a backup or a restore. */
export interface BackupReport {
  /** ISO 8601 time the copy finished. */
  created: string;
  /** Messages in the copy. */
  messages: number;
  /** Blob files copied (small blobs travel inside the database). */
  fileBlobs: number;
  /** Bytes written. */
  bytes: number;
  /** Snapshots taken until one's blobs were all present (1 when nothing was deleted meanwhile). */
  rounds: number;
}
