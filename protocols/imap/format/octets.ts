/**
 * Header values as octet strings for ENVELOPE and BODYSTRUCTURE: one char per stored byte, never
 * reinterpreted under a guessed charset, so 8-bit header bytes (raw Latin-1 in a Subject or a
 * filename) reach the client exactly as stored, as Dovecot hands them through (RFC 9051 §7.5.2
 * defines these fields as the header's strings, not decoded text).
 *
 * @module
 */
import type { HeaderField, MimePart } from "../../../core/mime/types.ts";

const COLON = 0x3a;
const CR = 0x0d;
const LF = 0x0a;

/** The bytes as an octet string (char code = byte). */
export function octets(bytes: Uint8Array): string {
  let out = "";
  const CHUNK = 8192;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    out += String.fromCharCode.apply(null, Array.from(bytes.subarray(i, i + CHUNK)));
  }
  return out;
}

/** An octet string back to its bytes (chars above 0xFF cannot occur in one; they are cut to 8 bits). */
export function octetBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/**
 * A field's value as stored: from just after the colon to the end of the field, unfolded (every
 * CR and LF removed, RFC 5322 §2.2.3) and trimmed, as an octet string.
 */
export function octetValue(raw: Uint8Array, field: HeaderField): string {
  const colon = raw.subarray(field.start, field.end).indexOf(COLON);
  if (colon < 0) return "";
  const bytes = raw.subarray(field.start + colon + 1, field.end);
  let s = "";
  for (const b of bytes) if (b !== CR && b !== LF) s += String.fromCharCode(b);
  return s.trim();
}

/** The first field named `key` (lowercase) of a part as an octet string, or null. */
export function octetHeader(raw: Uint8Array, part: Pick<MimePart, "headers">, key: string): string | null {
  const f = part.headers.find((h) => h.key === key);
  return f ? octetValue(raw, f) : null;
}

/**
 * A field's value for ENVELOPE, as Dovecot presents it: the whitespace after the colon dropped,
 * line breaks removed (RFC 5322 §2.2.3 unfolding) with a TAB that started a continuation line
 * shown as a space, trailing whitespace kept; an octet string.
 */
export function envelopeValue(raw: Uint8Array, field: HeaderField): string {
  const colon = raw.subarray(field.start, field.end).indexOf(COLON);
  if (colon < 0) return "";
  let i = field.start + colon + 1;
  while (i < field.end && (raw[i] === 0x20 || raw[i] === 0x09)) i++;
  let end = field.end;
  if (end > i && raw[end - 1] === LF) end--;
  if (end > i && raw[end - 1] === CR) end--;
  let s = "";
  let lineStart = false;
  for (; i < end; i++) {
    const b = raw[i]!;
    if (b === CR || b === LF) {
      lineStart = true;
      continue;
    }
    s += String.fromCharCode(lineStart && b === 0x09 ? 0x20 : b);
    lineStart = false;
  }
  return s;
}

/** The header fields of an entity with `value` replaced by its ENVELOPE form (`envelopeValue`). */
export function envelopeHeaders(raw: Uint8Array, headers: HeaderField[]): HeaderField[] {
  return headers.map((h) => ({ ...h, value: envelopeValue(raw, h) }));
}
