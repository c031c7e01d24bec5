/**
 * The header fields of a message as Sieve tests read them: the same fields, values and offsets as
 * `parseHeaderBlock(raw, 0, raw.length, { top: true })` (core/mime/header.ts), found faster for
 * the usual header: US-ASCII, every line a `name:` field or the continuation of one, ended by an
 * empty line. Such a header is decoded with one call and cut into fields without a decoder call
 * per field; any other header (8-bit bytes, a line that is no field, whitespace before a colon, a
 * leading mbox `From ` line or byte order mark, no empty line) goes to `parseHeaderBlock` itself,
 * so the outcome is the same for every message (the corpus and property tests of
 * tests/sieve/header_fields_test.ts hold them equal). Pure.
 *
 * @module
 */
import { parseHeaderBlock } from "../mime/header.ts";

/** A header field: its name, lowercase key, unfolded value and byte offsets in the message. */
export interface HeaderFieldAt {
  readonly name: string;
  readonly key: string;
  readonly value: string;
  /** Offset of the field's first byte. */
  readonly start: number;
  /** Offset just past its last line ending. */
  readonly end: number;
}

/** The fields of a message's header and where the header ends. */
export interface HeaderFields {
  fields: HeaderFieldAt[];
  /** Offset just past the empty line that ends the header (the body's start). */
  headerEnd: number;
}

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HT = 0x09;
const COLON = 0x3a;
/** parseHeaderBlock's default field limit: beyond it the full parser decides. */
const MAX_FIELDS = 10_000;
const ascii = new TextDecoder("utf-8");

/**
 * The header fields of a message, as parseHeaderBlock finds them at its top.
 *
 * @param raw the message bytes
 * @returns the fields in order and the header's end
 */
export function headerFields(raw: Uint8Array): HeaderFields {
  return quickHeaderFields(raw) ?? fullHeaderFields(raw);
}

/** The fields by parseHeaderBlock (the general case). */
export function fullHeaderFields(raw: Uint8Array): HeaderFields {
  const block = parseHeaderBlock(raw, 0, raw.length, { top: true });
  return { fields: block.fields, headerEnd: block.headerEnd };
}

/**
 * The fields of a plain US-ASCII header, or null when the header is anything else. Lines end at
 * LF (a CR before it is not content), as parseHeaderBlock reads them outside CR mode.
 */
export function quickHeaderFields(raw: Uint8Array): HeaderFields | null {
  // Per field: name start, colon, content end of its last line, offset past its last line.
  const at: number[] = [];
  let pos = 0;
  let headerEnd = -1;
  while (pos < raw.length) {
    const lf = raw.indexOf(LF, pos);
    // RFC 5322 §2.1: no empty line: the full parser decides what the header is.
    if (lf < 0) return null;
    const contentEnd = lf > pos && raw[lf - 1] === CR ? lf - 1 : lf;
    if (contentEnd === pos) {
      headerEnd = lf + 1;
      break;
    }
    const c = raw[pos]!;
    if (c === SP || c === HT) {
      // RFC 5322 §2.2.3: a continuation line of the field before it (none: the full parser).
      if (at.length === 0) return null;
      at[at.length - 2] = contentEnd;
      at[at.length - 1] = lf + 1;
    } else {
      // RFC 5322 §3.6.8: the name is printable US-ASCII but ":", right before the colon.
      let i = pos;
      while (i < contentEnd) {
        const b = raw[i]!;
        if (b === COLON || b <= SP || b > 0x7e) break;
        i++;
      }
      if (i === pos || i === contentEnd || raw[i] !== COLON) return null;
      if (at.length >= MAX_FIELDS * 4) return null;
      at.push(pos, i, contentEnd, lf + 1);
    }
    pos = lf + 1;
  }
  if (headerEnd < 0) return null;
  // One decoder call for the whole header. Every byte below 0x80 gives one UTF-16 unit and no
  // replacement character, and the reverse holds too: then each field's value is the text its
  // own UTF-8 decoding would give.
  const text = ascii.decode(raw.subarray(0, headerEnd));
  if (text.length !== headerEnd || text.includes("\ufffd")) return null;
  const fields: HeaderFieldAt[] = [];
  for (let k = 0; k < at.length; k += 4) {
    const name = text.slice(at[k]!, at[k + 1]!);
    const v = text.slice(at[k + 1]! + 1, at[k + 2]!);
    fields.push({
      name,
      key: name.toLowerCase(),
      // Unfolded as parseHeaderBlock does: every CR and LF inside the value removed.
      value: v.includes("\n") || v.includes("\r") ? v.replace(/\r\n|\r|\n/g, "") : v,
      start: at[k]!,
      end: at[k + 3]!,
    });
  }
  return { fields, headerEnd };
}
