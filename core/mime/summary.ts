/**
 * Message summary and full-text extraction, computed once at delivery.
 *
 * @module
 */
import { parseAddressList } from "./address.ts";
import { repairHeaderText } from "./charset.ts";
import { partText } from "./body.ts";
import { bodyParts, hasAttachment, partName } from "./body_parts.ts";
import { collapsedPrefix } from "./collapse_prefix.ts";
import { parseDateWithZone } from "./date.ts";
import { decodeEncodedWords } from "./encoded_words.ts";
import { getHeaders, getLastHeader } from "./header.ts";
import { htmlToText } from "./html_text.ts";
import { parseMessageIds } from "./message_id.ts";
import { parseMime } from "./parse.ts";
import { walkParts } from "./section.ts";
import type { EmailAddress, MessageSummary, MimePart } from "./types.ts";

/** RFC 8621 §4.1.4: the preview is at most 256 characters. */
export const PREVIEW_LENGTH = 256;
/** Upper bound of {@link extractText} output, in characters. */
export const MAX_EXTRACT_CHARS = 1024 * 1024;
/** At most this many bytes of one body are decoded for the preview. */
const PREVIEW_SOURCE_BYTES = 64 * 1024;
/** Encodings that leave the bytes as they are (RFC 2045 §6.2). */
const IDENTITY = new Set(["7bit", "8bit", "binary"]);

function addresses(root: MimePart, name: string): EmailAddress[] {
  const value = getLastHeader(root, name);
  return value === null ? [] : parseAddressList(repairHeaderText(value));
}

function ids(root: MimePart, name: string): string[] {
  const value = getLastHeader(root, name);
  return value === null ? [] : parseMessageIds(value);
}

/** Header values longer than this are cut before decoding (a subject is never that long). */
const MAX_HEADER_CHARS = 64 * 1024;

/** Unstructured header text (RFC 5322 §3.2.5) decoded per RFC 2047, whitespace collapsed. */
function text(input: string | null): string {
  if (input === null) return "";
  const value = input.length > MAX_HEADER_CHARS ? input.slice(0, MAX_HEADER_CHARS) : input;
  return decodeEncodedWords(repairHeaderText(value)).replaceAll("\0", " ").replace(/\s+/g, " ").trim();
}

function collapse(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

function bodyTextOf(raw: Uint8Array, part: MimePart, limitBytes: number): string {
  const clipped: MimePart = part.bodyEnd - part.bodyStart > limitBytes
    ? { ...part, bodyEnd: part.bodyStart + limitBytes }
    : part;
  const t = partText(raw, clipped);
  return part.subtype === "html" ? htmlToText(t) : t;
}

function preview(raw: Uint8Array, textBody: MimePart[]): string {
  for (const part of textBody) {
    if (part.type !== "text") continue;
    // HTML spends many bytes on markup before any text: give it a larger window.
    const t = collapsedPrefix(
      bodyTextOf(raw, part, part.subtype === "html" ? 8 * PREVIEW_SOURCE_BYTES : PREVIEW_SOURCE_BYTES),
      PREVIEW_LENGTH,
    );
    if (t !== "") return t;
  }
  return "";
}

function summaryOf(raw: Uint8Array, root: MimePart): MessageSummary {
  const parts = bodyParts(root);
  const dateHeader = getLastHeader(root, "date");
  const date = dateHeader === null ? null : parseDateWithZone(dateHeader);
  return {
    subject: text(getLastHeader(root, "subject")),
    from: addresses(root, "from"),
    sender: addresses(root, "sender"),
    replyTo: addresses(root, "reply-to"),
    to: addresses(root, "to"),
    cc: addresses(root, "cc"),
    bcc: addresses(root, "bcc"),
    messageId: ids(root, "message-id"),
    inReplyTo: ids(root, "in-reply-to"),
    references: ids(root, "references"),
    sentAt: date?.date ?? null,
    ...(date ? { sentOffset: date.offsetMinutes } : {}),
    preview: preview(raw, parts.textBody),
    hasAttachment: hasAttachment(parts),
  };
}

/**
 * Summarises a raw RFC 5322 message: decoded subject, addresses, message ids, date, preview and
 * attachment flag (RFC 8621 §4.1.4). Header fields use their last instance, as RFC 8621 §4.1.3
 * does. Never throws.
 *
 * @example
 * ```ts
 * import { summarize } from "./summary.ts";
 * const s = summarize(new TextEncoder().encode("Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n\r\nHi\r\n"));
 * console.assert(s.subject === "Grüße" && s.preview === "Hi");
 * ```
 *
 * @param raw the message bytes
 * @returns the header summary
 */
export function summarize(raw: Uint8Array): MessageSummary {
  return summaryOf(raw, parseMime(raw));
}

/**
 * Extracts searchable text: with `headers` (the default) the subject and address headers first;
 * then attachment file names and every text part decoded from its transfer encoding (RFC 2045
 * §6.7–6.8) and charset into Unicode, HTML stripped to text, including the subject, sender and text
 * of attached messages; bounded to {@link MAX_EXTRACT_CHARS}. Never throws.
 *
 * @param raw the message bytes
 * @param opts `headers: false` leaves out the top-level subject and addresses (the body alone,
 *   for IMAP BODY and JMAP `body`, whose header fields are searched separately)
 * @returns plain text for full-text search
 */
export function extractText(raw: Uint8Array, opts: { headers?: boolean } = {}): string {
  const root = parseMime(raw);
  const out: string[] = [];
  let size = 0;
  const add = (s: string) => {
    if (size >= MAX_EXTRACT_CHARS || s === "") return;
    const piece = s.length > MAX_EXTRACT_CHARS - size ? s.slice(0, MAX_EXTRACT_CHARS - size) : s;
    out.push(piece);
    size += piece.length + 1;
  };
  if (opts.headers ?? true) {
    add(text(getLastHeader(root, "subject")));
    for (const name of ["from", "sender", "reply-to", "to", "cc", "bcc"]) {
      for (const value of getHeaders(root, name)) {
        for (const a of parseAddressList(repairHeaderText(value))) {
          add(a.name === null ? a.email : `${a.name} ${a.email}`);
        }
      }
    }
  }
  // A message/rfc822 part with a content transfer encoding (RFC 2046 §5.2.1 allows none) is parsed
  // as written, which is no message: its decoded content is searched as text, not that parse.
  const asWritten = new Set<MimePart>();
  walkParts(root, (part) => {
    if (asWritten.has(part)) {
      if (part.message !== null) asWritten.add(part.message);
      for (const c of part.children) asWritten.add(c);
      return;
    }
    if (size >= MAX_EXTRACT_CHARS) return;
    if (part.message !== null && !IDENTITY.has(part.encoding)) {
      asWritten.add(part.message);
      const name = partName(part);
      if (name !== null) add(name);
      const budget = Math.min(part.bodyEnd - part.bodyStart, (MAX_EXTRACT_CHARS - size) * 4);
      add(collapse(bodyTextOf(raw, part, budget)));
      return;
    }
    if (part.message !== null) {
      // An attached message's header is part of the enclosing message's body (RFC 9051 §6.4.4
      // BODY and TEXT): every field as `Name: value`, encoded words decoded.
      for (const f of part.message.headers) add(`${f.name}: ${text(f.value)}`);
    }
    const name = partName(part);
    if (name !== null) add(name);
    // Every text/* part, attached or not, and message/* leaves that are not parsed messages
    // (delivery-status, feedback-report, partial): their content is text, as Dovecot searches it.
    if (part.children.length > 0 || part.message !== null) return;
    if (part.type !== "text" && part.type !== "message") return;
    // Enough source bytes to fill the remaining budget (base64 inflates by 4/3, QP by up to 3).
    const budget = Math.min(part.bodyEnd - part.bodyStart, (MAX_EXTRACT_CHARS - size) * 4);
    add(collapse(bodyTextOf(raw, part, budget)));
  });
  return out.join("\n");
}

/**
 * Summarises an already parsed message (avoids parsing twice when the caller has the tree).
 *
 * @param raw the message bytes
 * @param root `parseMime(raw)`
 * @returns the header summary
 */
export function summarizeParsed(raw: Uint8Array, root: MimePart): MessageSummary {
  return summaryOf(raw, root);
}
