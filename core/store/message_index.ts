/**
 * What the store derives from a message's bytes: at delivery the header summary (from core/mime),
 * the raw header text for header searches and the sort keys of RFC 8621 §4.4.2 / RFC 5256
 * (`indexMessage`); later, off the delivery path, the text for full-text search (`searchRow`).
 *
 * The summary comes from `summarize()` of core/mime/summary.ts. A minimal header reader stands in
 * when that returns nothing at all (a stub, or a message the parser could not read), so that
 * threading and sorting still work.
 *
 * @module
 */
import { extractText, summarize } from "../mime/summary.ts";
import type { EmailAddress, MessageSummary } from "./types.ts";

/** Derived data of one message. */
export interface MessageIndex {
  /** Header summary (core/mime). */
  summary: MessageSummary;
  /** Unfolded header lines `name: value\n`, names lowercased, bounded. */
  headers: string;
  /** Base subject (RFC 5256), lowercased. */
  subjectKey: string;
  /** Sort key of From (RFC 8621 §4.4.2). */
  fromKey: string;
  /** Sort key of To. */
  toKey: string;
}

const MAX_HEADER_TEXT = 64 * 1024;
// Bounded so that indexing a huge message stays cheap (trigram FTS costs ~40 µs per KiB).
const MAX_BODY_TEXT = 64 * 1024;

/** Text of the search table's columns for one message. */
export interface SearchRow {
  subject: string;
  from: string;
  to: string;
  cc: string;
  bcc: string;
  body: string;
}

/** Derives the index data of a raw message (everything but the search text). Never throws. */
export function indexMessage(raw: Uint8Array): MessageIndex {
  const headerText = rawHeaderText(raw);
  let summary: MessageSummary;
  try {
    summary = summarize(raw);
  } catch {
    summary = emptySummary();
  }
  if (isEmptySummary(summary)) summary = fallbackSummary(headerText, raw);
  return {
    summary,
    headers: headerText,
    subjectKey: baseSubject(summary.subject),
    fromKey: addressSortKey(summary.from),
    toKey: addressSortKey(summary.to),
  };
}

/** The full-text search row of a raw message with its summary (from `indexMessage`). Never throws. */
export function searchRow(raw: Uint8Array, summary: MessageSummary): SearchRow {
  let body: string;
  try {
    // The body alone: subject and addresses have their own columns (IMAP BODY, JMAP `body`). A
    // message without text parts (an image alone) has an empty body.
    body = extractText(raw, { headers: false });
  } catch {
    body = fallbackBody(raw);
  }
  if (body.length > MAX_BODY_TEXT) body = body.slice(0, MAX_BODY_TEXT);
  return {
    subject: withoutNul(summary.subject),
    from: withoutNul(formatAddresses(summary.from)),
    to: withoutNul(formatAddresses(summary.to)),
    cc: withoutNul(formatAddresses(summary.cc)),
    bcc: withoutNul(formatAddresses(summary.bcc)),
    body: withoutNul(body),
  };
}

/**
 * NUL as a space, in the search text and in search strings: SQLite's text functions (LIKE,
 * length) and node:sqlite's reads stop at a NUL, so the text after one (a binary part sent as
 * text/plain) could not be found, and PostgreSQL refuses a NUL in text outright (a JMAP filter
 * string may hold one; an IMAP string may not, RFC 9051 §4.3).
 */
export function withoutNul(s: string): string {
  return s.includes("\0") ? s.replaceAll("\0", " ") : s;
}

/** JSON form of a summary for storage. */
export function encodeSummary(s: MessageSummary): string {
  const t = s.sentAt ? s.sentAt.getTime() : NaN;
  return JSON.stringify({ ...s, sentAt: Number.isFinite(t) ? t : null });
}

/** Inverse of `encodeSummary`. */
export function decodeSummary(json: string | null): MessageSummary {
  if (!json) return emptySummary();
  const o = JSON.parse(json) as Omit<MessageSummary, "sentAt"> & { sentAt: number | null };
  return { ...o, sentAt: o.sentAt === null ? null : new Date(o.sentAt) };
}

/**
 * RFC 5256 §2.1 base subject, lowercased: strips `Re:`, `Fwd:`, `Fw:`, `[list]` prefixes and
 * `(fwd)` trailers repeatedly, and collapses whitespace.
 */
export function baseSubject(subject: string): string {
  let s = subject.replace(/\s+/g, " ").trim().toLowerCase();
  for (;;) {
    const before = s;
    s = s.replace(/(\s*\(fwd\))+$/, "").trim();
    s = s.replace(/^(\[[^\]]*\]\s*)*(re|fwd?|aw|sv|wg)(\[[0-9]+\])?\s*:\s*/, "").trim();
    s = s.replace(/^\[[^\]]*\]\s*(?=\S)/, "").trim();
    if (s.startsWith("[fwd:") && s.endsWith("]")) s = s.slice(5, -1).trim();
    if (s === before) return s;
  }
}

/** RFC 8621 §4.4.2 sort key of an address list. */
export function addressSortKey(list: EmailAddress[]): string {
  // RFC 8621 §4.4.2: the name of the first address, or its email when the name is empty.
  const first = list[0];
  if (!first) return "";
  return (first.name && first.name.trim() ? first.name : first.email).trim().toLowerCase();
}

function formatAddresses(list: EmailAddress[]): string {
  return list.map((a) => (a.name ? `${a.name} <${a.email}>` : a.email)).join(", ");
}

/** An empty summary. */
export function emptySummary(): MessageSummary {
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

function isEmptySummary(s: MessageSummary): boolean {
  return !s.subject && s.from.length === 0 && s.to.length === 0 && s.messageId.length === 0 &&
    s.sentAt === null && !s.preview;
}

function headerEnd(raw: Uint8Array): number {
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== 0x0a) continue;
    if (raw[i + 1] === 0x0a) return i + 1;
    if (raw[i + 1] === 0x0d && raw[i + 2] === 0x0a) return i + 1;
  }
  return raw.length;
}

const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder("utf-8", { fatal: false });

function rawHeaderText(raw: Uint8Array): string {
  const end = Math.min(headerEnd(raw), MAX_HEADER_TEXT * 2);
  const text = withoutNul(utf8.decode(raw.subarray(0, end)));
  const lines: string[] = [];
  let size = 0;
  for (const line of text.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const out = `${line.slice(0, colon).trim().toLowerCase()}: ${line.slice(colon + 1).trim()}\n`;
    size += out.length;
    if (size > MAX_HEADER_TEXT) break;
    lines.push(out);
  }
  return lines.join("");
}

/** Header values by lowercase name, from `rawHeaderText` output. */
function headerValues(headers: string, name: string): string[] {
  const out: string[] = [];
  const prefix = `${name}: `;
  for (const line of headers.split("\n")) if (line.startsWith(prefix)) out.push(line.slice(prefix.length));
  return out;
}

function msgIds(value: string | undefined): string[] {
  if (!value) return [];
  return [...value.matchAll(/<([^<>\s]+)>/g)].map((m) => m[1]!);
}

function parseAddressList(value: string | undefined): EmailAddress[] {
  if (!value) return [];
  const out: EmailAddress[] = [];
  for (const part of value.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)) {
    const p = part.trim();
    if (!p) continue;
    const angle = /^(.*)<([^<>]*)>\s*$/.exec(p);
    if (angle) {
      const name = angle[1]!.trim().replace(/^"(.*)"$/, "$1").trim();
      out.push({ name: name || null, email: angle[2]!.trim() });
    } else {
      out.push({ name: null, email: p.replace(/\(.*\)/g, "").trim() });
    }
  }
  return out;
}

function fallbackSummary(headers: string, raw: Uint8Array): MessageSummary {
  const first = (name: string) => headerValues(headers, name)[0];
  const date = first("date");
  const parsed = date ? Date.parse(date.replace(/\([^)]*\)/g, "").trim()) : NaN;
  const contentType = (first("content-type") ?? "").toLowerCase();
  const preview = fallbackBody(raw).replace(/\s+/g, " ").trim().slice(0, 256);
  return {
    subject: first("subject") ?? "",
    from: parseAddressList(first("from")),
    sender: parseAddressList(first("sender")),
    replyTo: parseAddressList(first("reply-to")),
    to: parseAddressList(headerValues(headers, "to").join(", ")),
    cc: parseAddressList(headerValues(headers, "cc").join(", ")),
    bcc: parseAddressList(headerValues(headers, "bcc").join(", ")),
    messageId: msgIds(first("message-id")),
    inReplyTo: msgIds(first("in-reply-to")),
    references: msgIds(first("references")),
    sentAt: Number.isNaN(parsed) ? null : new Date(parsed),
    preview,
    hasAttachment: contentType.startsWith("multipart/mixed"),
  };
}

function fallbackBody(raw: Uint8Array): string {
  const start = headerEnd(raw);
  const body = raw.subarray(start, Math.min(raw.length, start + MAX_BODY_TEXT));
  return latin1.decode(body).replace(/^\r?\n/, "");
}
