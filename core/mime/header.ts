/**
 * Header block splitting and lookups (RFC 5322 §2.2, §3.6; obsolete syntax of §4.5 accepted).
 *
 * @module
 */
import { decodeUtf8OrLatin1 } from "./charset.ts";
import { type LfMemo, lineAt } from "./_lines.ts";
import type { HeaderField, MimePart } from "./types.ts";

/** Result of {@link parseHeaderBlock}. */
export interface HeaderBlock {
  /** Fields in message order. */
  fields: HeaderField[];
  /** Offset just past the blank line ending the header (= body start). */
  headerEnd: number;
  /** Problems found (missing blank line, stray lines, …). */
  defects: string[];
}

/** Options for {@link parseHeaderBlock}. */
export interface HeaderBlockOptions {
  /** Whether a lone CR ends a line (messages with bare-CR line endings). */
  crMode?: boolean;
  /** Top of a message (also an embedded one): an mbox `From ` line before the header is skipped. */
  top?: boolean;
  /** Stop after this many fields (further lines are still consumed as header). Default 10,000. */
  maxFields?: number;
  /** Line-search memo shared across calls on the same bytes (the MIME parser passes one). */
  memo?: LfMemo;
}

const SP = 0x20;
const HT = 0x09;
const COLON = 0x3a;

function latin1Prefix(raw: Uint8Array, start: number, end: number): string {
  return String.fromCharCode.apply(null, Array.from(raw.subarray(start, Math.min(end, start + 80))));
}

/**
 * Returns the offset of the colon when the line is a header field (`name:`; printable ASCII name,
 * optional whitespace before the colon per RFC 5322 §4.5.8), else -1.
 */
function fieldColon(raw: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end) {
    const c = raw[i]!;
    if (c === COLON) break;
    if (c <= SP || c > 0x7e) {
      // Only whitespace may follow the name before the colon.
      if (c !== SP && c !== HT) return -1;
      let j = i;
      while (j < end && (raw[j] === SP || raw[j] === HT)) j++;
      if (j < end && raw[j] === COLON && j > start && i > start) return j;
      return -1;
    }
    i++;
  }
  return i < end && i > start ? i : -1;
}

function fieldName(raw: Uint8Array, start: number, colon: number): string {
  let end = colon;
  while (end > start && (raw[end - 1] === SP || raw[end - 1] === HT)) end--;
  let name = "";
  for (let i = start; i < end; i++) name += String.fromCharCode(raw[i]!);
  return name;
}

function unfold(raw: Uint8Array, start: number, end: number): string {
  const text = decodeUtf8OrLatin1(raw.subarray(start, end));
  return text.includes("\n") || text.includes("\r") ? text.replace(/\r\n|\r|\n/g, "") : text;
}

/**
 * Splits the header block that starts at `start` into fields with byte offsets. The block ends at
 * the first empty line (CRLF, LF, or CR in CR mode); its offset just past that line is
 * `headerEnd`. Without an empty line the header runs to `end` (a header without body). When the
 * first line is not a header field, the entity has no header: `headerEnd === start` (a body
 * without header). Otherwise a line that is not a field (no colon, or an invalid name) stays in
 * the header without being a field, and continues none: the header runs to the empty line (RFC
 * 5322 §2.1), as Dovecot reads it. Such problems are reported as defects. Never throws.
 *
 * @param raw message bytes
 * @param start header start
 * @param end region end
 * @param options line-ending mode and limits
 * @returns fields, header end and defects
 */
export function parseHeaderBlock(
  raw: Uint8Array,
  start: number,
  end: number,
  options: HeaderBlockOptions = {},
): HeaderBlock {
  const crMode = options.crMode ?? false;
  const maxFields = options.maxFields ?? 10_000;
  const memo = options.memo ?? { from: 0, at: -2 };
  const fields: HeaderField[] = [];
  const defects: string[] = [];
  let pos = start;
  if (
    options.top && end - start >= 3 && raw[start] === 0xef && raw[start + 1] === 0xbb &&
    raw[start + 2] === 0xbf
  ) {
    defects.push("byte order mark before the header");
    pos += 3;
  }
  let current: { nameStart: number; valueStart: number } | null = null;
  let currentEnd = start;
  let currentContentEnd = start;
  let first = true;
  const flush = () => {
    if (current === null) return;
    if (fields.length < maxFields) {
      const name = fieldName(raw, current.nameStart, current.valueStart - 1);
      fields.push({
        name,
        key: name.toLowerCase(),
        value: unfold(raw, current.valueStart, currentContentEnd),
        start: current.nameStart,
        end: currentEnd,
      });
    } else if (fields.length === maxFields && !defects.includes("too many header fields")) {
      defects.push("too many header fields");
    }
    current = null;
  };
  while (pos < end) {
    const { contentEnd, next } = lineAt(raw, pos, end, crMode, memo);
    if (contentEnd === pos) {
      if (next === pos) break; // defensive: no progress possible
      flush();
      return { fields, headerEnd: next, defects };
    }
    const c = raw[pos]!;
    if (c === SP || c === HT) {
      if (current !== null) {
        currentEnd = next;
        currentContentEnd = contentEnd;
      } else {
        let blank = true;
        for (let i = pos; i < contentEnd; i++) if (raw[i] !== SP && raw[i] !== HT) blank = false;
        if (first) {
          // A stray indented or blank first line before real header fields (as in some saved
          // messages) is skipped, as Python's email package does.
          const after = lineAt(raw, next, end, crMode, memo);
          if (after.contentEnd > next && fieldColon(raw, next, after.contentEnd) >= 0) {
            defects.push("first header line is a continuation line: ignored");
            pos = next;
            continue;
          }
        }
        if (first && blank) {
          // A whitespace-only first line: taken as the header/body separator.
          defects.push("whitespace-only line used as header separator");
          return { fields, headerEnd: next, defects };
        }
        // An indented line that continues no field stays in the header, as any line that is not a
        // field does (RFC 5322 §2.1: the empty line ends the header), also as the first line.
        defects.push("continuation line without a header field");
      }
      pos = next;
      first = false;
      continue;
    }
    const colon = fieldColon(raw, pos, contentEnd);
    if (colon < 0) {
      if (first && options.top && contentEnd - pos >= 5 && latin1Prefix(raw, pos, pos + 5) === "From ") {
        defects.push("mbox From line before the header");
      } else {
        // RFC 5322 §2.1: the header section ends at the empty line, not at the first line that is
        // not a field: a line without a colon (or with a bad name) stays in the header, as Dovecot
        // reads it (BODY[HEADER] runs to the blank line; the line is no field).
        flush();
        defects.push("non-header line in header");
      }
      pos = next;
      first = false;
      continue;
    }
    flush();
    current = { nameStart: pos, valueStart: colon + 1 };
    currentEnd = next;
    currentContentEnd = contentEnd;
    pos = next;
    first = false;
  }
  flush();
  if (fields.length > 0 || pos > start) defects.push("header not terminated by an empty line");
  return { fields, headerEnd: end, defects };
}

/**
 * The first value of a header field, trimmed, or null when absent. Values are unfolded but not
 * decoded (use `decodeEncodedWords` for unstructured text).
 *
 * @param part a parsed entity (or anything with `headers`)
 * @param name field name, case-insensitive
 * @returns the value or null
 */
export function getHeader(part: Pick<MimePart, "headers">, name: string): string | null {
  const key = name.toLowerCase();
  for (const f of part.headers) if (f.key === key) return f.value.trim();
  return null;
}

/**
 * The last value of a header field, trimmed (RFC 8621 §4.1.3 uses the last instance), or null.
 *
 * @param part a parsed entity
 * @param name field name, case-insensitive
 * @returns the value or null
 */
export function getLastHeader(part: Pick<MimePart, "headers">, name: string): string | null {
  const key = name.toLowerCase();
  for (let i = part.headers.length - 1; i >= 0; i--) {
    const f = part.headers[i]!;
    if (f.key === key) return f.value.trim();
  }
  return null;
}

/**
 * All values of a header field in message order, trimmed.
 *
 * @param part a parsed entity
 * @param name field name, case-insensitive
 * @returns the values (possibly empty)
 */
export function getHeaders(part: Pick<MimePart, "headers">, name: string): string[] {
  const key = name.toLowerCase();
  return part.headers.filter((f) => f.key === key).map((f) => f.value.trim());
}

/**
 * The field value exactly as in the message (RFC 8621 §4.1.2.1 Raw): from just after the colon up
 * to, not including, the final line ending; folding kept. Bytes decoded as UTF-8, or Latin-1 when
 * invalid.
 *
 * @param raw the message bytes
 * @param field a field parsed from them
 * @returns the folded raw value
 */
export function rawFieldValue(raw: Uint8Array, field: HeaderField): string {
  const colon = raw.subarray(field.start, field.end).indexOf(COLON);
  let end = field.end;
  if (end > field.start && raw[end - 1] === 0x0a) end--;
  if (end > field.start && raw[end - 1] === 0x0d) end--;
  if (colon < 0) return "";
  return decodeUtf8OrLatin1(raw.subarray(field.start + colon + 1, Math.max(end, field.start + colon + 1)));
}
