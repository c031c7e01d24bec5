/**
 * Message summary and full-text extraction, computed once at delivery.
 *
 * @module
 */
import type { MessageSummary } from "../store/types.ts";

/**
 * Summarises a raw RFC 5322 message: decoded subject, addresses, message ids, date, preview and
 * attachment flag (RFC 8621 §4.1.4). Never throws.
 *
 * @param raw the message bytes
 * @returns the header summary
 */
export function summarize(raw: Uint8Array): MessageSummary {
  void raw;
  return {
    subject: "",
    from: [],
    sender: [],
    replyTo: [],
    to: [],
    cc: [],
    bcc: [],
    messageId: [],
    inReplyTo: [],
    references: [],
    sentAt: null,
    preview: "",
    hasAttachment: false,
  };
}

/**
 * Extracts searchable text: subject, addresses and every decoded text part, bounded to 1 MiB.
 * Never throws.
 *
 * @param raw the message bytes
 * @returns plain text for full-text search
 */
export function extractText(raw: Uint8Array): string {
  void raw;
  return "";
}
