/**
 * Output types of the MIME parser (core/mime/parse.ts). The parser is pure: bytes in, a part tree
 * with byte offsets out. IMAP FETCH BODY[section]/BODYSTRUCTURE and JMAP bodyStructure are built on
 * these offsets, so every offset indexes the original message bytes.
 *
 * @module
 */

/** One header field as it appears in the message. */
export interface HeaderField {
  /** Field name as written (case preserved). */
  name: string;
  /** Lowercased name for lookups. */
  key: string;
  /** Raw value after the colon, unfolded (CRLF/LF before WSP removed), not decoded; bytes as latin1-safe UTF-8 decoding. */
  value: string;
  /** Offset of the first byte of the field name. */
  start: number;
  /** Offset just past the field's final line ending. */
  end: number;
}

/** Content-Type or Content-Disposition with decoded parameters (RFC 2045, RFC 2231). */
export interface ContentValue {
  /** Lowercased, e.g. "text" / "attachment". */
  value: string;
  /** Parameter names lowercased; values decoded (RFC 2231 continuations and charsets, RFC 2047 as a fallback). */
  params: Record<string, string>;
}

/** One MIME entity. */
export interface MimePart {
  /**
   * IMAP section number (RFC 9051 §6.4.5): "" for the message itself, "1", "1.2", … A non-multipart
   * top-level body is also addressable as "1".
   */
  section: string;
  /** Offset of the entity's header. */
  headerStart: number;
  /** Offset just past the blank line that ends the header (equals bodyStart). */
  headerEnd: number;
  bodyStart: number;
  /** Offset just past the body (before the CRLF that precedes the next boundary). */
  bodyEnd: number;
  headers: HeaderField[];
  /** Lowercased type, defaults text/plain; charset us-ascii (RFC 2045 §5.2), or message/rfc822 in multipart/digest. */
  type: string;
  subtype: string;
  /** Content-Type parameters (decoded). */
  params: Record<string, string>;
  disposition: ContentValue | null;
  /** Lowercased Content-Transfer-Encoding, default "7bit". */
  encoding: string;
  contentId: string | null;
  description: string | null;
  /** Content-Language values. */
  language: string[] | null;
  location: string | null;
  md5: string | null;
  /** Number of lines in the body (text/* and message/rfc822, for BODYSTRUCTURE). */
  lines: number;
  /** Children of a multipart. Empty otherwise. */
  children: MimePart[];
  /** For message/rfc822 (and message/global): the embedded message's root part. */
  message: MimePart | null;
  /** Problems found while parsing (missing boundary, bad encoding, …); never thrown. */
  defects: string[];
}

/** An address as parsed from a header. */
export interface EmailAddress {
  name: string | null;
  email: string;
}

/** Header summary of a message, parsed once at delivery. */
export interface MessageSummary {
  subject: string;
  from: EmailAddress[];
  sender: EmailAddress[];
  replyTo: EmailAddress[];
  to: EmailAddress[];
  cc: EmailAddress[];
  bcc: EmailAddress[];
  /** Message-ID values without angle brackets. */
  messageId: string[];
  inReplyTo: string[];
  references: string[];
  /** Date: header, or null if absent or unparsable. */
  sentAt: Date | null;
  /**
   * Zone offset of the Date: header in minutes east of UTC (RFC 5322 §3.3), set when `sentAt` is;
   * absent in summaries stored before it was kept (read as 0).
   */
  sentOffset?: number;
  /** Up to 256 characters of plain text (RFC 8621 §4.1.4 preview). */
  preview: string;
  hasAttachment: boolean;
}
