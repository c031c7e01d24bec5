/**
 * What the importers read and the exporters write: one message with its folder, flags and internal
 * date, independent of the format it came from (mbox, Maildir, a directory of .eml files, IMAP).
 *
 * @module
 */

/** One message of a source. */
export interface TransferItem {
  /** Folder path segments, e.g. ["INBOX"] or ["Projects", "2026"]. */
  folder: string[];
  /** The message in RFC 5322 form with CRLF line endings. */
  raw: Uint8Array;
  /** IMAP system flags (`\Seen` …) and keywords, as IMAP spells them. */
  flags: string[];
  /** The internal (received) date, when the source records one. */
  internalDate?: Date;
  /** A special-use role the source gave the folder (RFC 6154), e.g. "\\Sent". */
  specialUse?: string;
}

/** Progress of a source: how far it has read, and how much there is when known. */
export interface SourceProgress {
  /** Bytes of the source read so far. */
  bytes: number;
  /** Total bytes, when known (a file's size). */
  totalBytes?: number;
  /** Total messages, when known (counted up front). */
  totalMessages?: number;
}

/** A source of messages to import. */
export interface TransferSource {
  /** Messages in source order; a source that cannot read one skips it through `onSkip`. */
  items(): AsyncIterable<TransferItem>;
  /** How far the reading has got. */
  progress(): SourceProgress;
}

/** Why a source skipped a message (too large, unreadable). */
export interface SkippedItem {
  folder: string[];
  reason: string;
}

/** The longest line a reader keeps (RFC 5322 §2.1.1 allows 998; real mail goes beyond). */
export const MAX_IMPORT_LINE = 1024 * 1024;
