/**
 * Content-Transfer-Encoding codecs (RFC 2045 §6.7 quoted-printable, §6.8 base64). Decoders are
 * lenient, as real mail requires; encoders produce RFC-conformant output.
 *
 * @module
 */

const HEX = "0123456789ABCDEF";

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * Decodes quoted-printable (RFC 2045 §6.7). Soft line breaks (`=` before CRLF, LF or CR, with
 * optional whitespace between) are removed; trailing whitespace before a hard line break is
 * dropped (rule 3); malformed `=` sequences are kept literally. Hard line breaks are kept as they are.
 *
 * @param input encoded bytes
 * @returns decoded bytes
 */
export function decodeQuotedPrintable(input: Uint8Array): Uint8Array {
  const out = new Uint8Array(input.length);
  let o = 0;
  let i = 0;
  const n = input.length;
  while (i < n) {
    const c = input[i]!;
    if (c === 0x3d) { // "="
      const h1 = i + 1 < n ? hexValue(input[i + 1]!) : -1;
      const h2 = i + 2 < n ? hexValue(input[i + 2]!) : -1;
      if (h1 >= 0 && h2 >= 0) {
        out[o++] = (h1 << 4) | h2;
        i += 3;
        continue;
      }
      // Soft line break, tolerating whitespace after "=" (RFC 2045 §6.7 rule 3).
      let j = i + 1;
      while (j < n && (input[j] === 0x20 || input[j] === 0x09)) j++;
      if (j >= n) {
        i = j;
        continue;
      }
      if (input[j] === 0x0d) {
        i = j + 1 < n && input[j + 1] === 0x0a ? j + 2 : j + 1;
        continue;
      }
      if (input[j] === 0x0a) {
        i = j + 1;
        continue;
      }
      out[o++] = c; // malformed: keep literally
      i++;
      continue;
    }
    if (c === 0x20 || c === 0x09) {
      // Drop trailing whitespace before a hard line break or the end (transport padding).
      let j = i;
      while (j < n && (input[j] === 0x20 || input[j] === 0x09)) j++;
      if (j >= n || input[j] === 0x0d || input[j] === 0x0a) {
        i = j;
        continue;
      }
      while (i < j) out[o++] = input[i++]!;
      continue;
    }
    out[o++] = c;
    i++;
  }
  return out.slice(0, o);
}

/** Options for {@link encodeQuotedPrintable}. */
export interface QpOptions {
  /** Treat CRLF as a hard line break (text). Otherwise every CR and LF is encoded (binary). Default true. */
  text?: boolean;
  /** Maximum encoded line length, default 76 (RFC 2045 §6.7 rule 5). */
  lineLength?: number;
}

/**
 * Encodes quoted-printable (RFC 2045 §6.7) with soft line breaks so no line exceeds 76
 * characters. In text mode CRLF pairs stay hard line breaks; lone CR and LF are encoded, so
 * decoding gives back the exact input.
 *
 * @param input bytes to encode
 * @param options text/binary mode and line length
 * @returns ASCII quoted-printable text with CRLF line breaks
 */
export function encodeQuotedPrintable(input: Uint8Array, options: QpOptions = {}): string {
  const text = options.text ?? true;
  const max = Math.max(4, options.lineLength ?? 76);
  const parts: string[] = [];
  let line = "";
  const n = input.length;
  for (let i = 0; i < n; i++) {
    const c = input[i]!;
    if (text && c === 0x0d && i + 1 < n && input[i + 1] === 0x0a) {
      parts.push(line, "\r\n");
      line = "";
      i++;
      continue;
    }
    const atLineEnd = i + 1 >= n || (text && input[i + 1] === 0x0d && i + 2 < n && input[i + 2] === 0x0a);
    let token: string;
    if ((c >= 33 && c <= 126 && c !== 0x3d) || ((c === 0x20 || c === 0x09) && !atLineEnd)) {
      token = String.fromCharCode(c);
    } else {
      token = "=" + HEX[c >> 4] + HEX[c & 15];
    }
    // Leave room for the "=" of a soft break.
    if (line.length + token.length > max - 1) {
      parts.push(line, "=\r\n");
      line = "";
    }
    line += token;
  }
  parts.push(line);
  return parts.join("");
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_VALUES = new Int8Array(256).fill(-1);
for (let i = 0; i < B64.length; i++) B64_VALUES[B64.charCodeAt(i)] = i;
// RFC 4648 §5 URL-safe letters show up in broken mail; accept them too.
B64_VALUES[0x2d] = 62;
B64_VALUES[0x5f] = 63;

/**
 * Decodes base64 (RFC 2045 §6.8) leniently: characters outside the alphabet are ignored, missing
 * padding is tolerated, and `=` ends a quantum so concatenated encodings decode piecewise.
 *
 * @param input encoded bytes (or a string)
 * @returns decoded bytes
 */
export function decodeBase64(input: Uint8Array | string): Uint8Array {
  const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
  const out = new Uint8Array(Math.floor(bytes.length * 3 / 4) + 3);
  let o = 0;
  let acc = 0;
  let count = 0;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    const v = B64_VALUES[c]!;
    if (v >= 0) {
      acc = (acc << 6) | v;
      if (++count === 4) {
        out[o++] = (acc >> 16) & 0xff;
        out[o++] = (acc >> 8) & 0xff;
        out[o++] = acc & 0xff;
        acc = 0;
        count = 0;
      }
    } else if (c === 0x3d && count > 0) {
      o = flush(out, o, acc, count);
      acc = 0;
      count = 0;
    }
  }
  if (count > 0) o = flush(out, o, acc, count);
  return out.slice(0, o);
}

function flush(out: Uint8Array, o: number, acc: number, count: number): number {
  if (count === 2) {
    out[o++] = (acc >> 4) & 0xff;
  } else if (count === 3) {
    out[o++] = (acc >> 10) & 0xff;
    out[o++] = (acc >> 2) & 0xff;
  }
  return o;
}

/**
 * Encodes base64 (RFC 2045 §6.8), wrapped with CRLF every `lineLength` characters (76 by
 * default; 0 for no wrapping).
 *
 * @param input bytes to encode
 * @param lineLength characters per line, a multiple of 4; 0 disables wrapping
 * @returns base64 text
 */
export function encodeBase64(input: Uint8Array, lineLength = 76): string {
  const chunks: string[] = [];
  const CHUNK = 3 * 4096;
  for (let i = 0; i < input.length; i += CHUNK) {
    const slice = input.subarray(i, i + CHUNK);
    let s = "";
    for (let j = 0; j < slice.length; j++) s += String.fromCharCode(slice[j]!);
    chunks.push(btoa(s));
  }
  const flat = chunks.join("");
  if (lineLength <= 0 || flat.length <= lineLength) return flat;
  const lines: string[] = [];
  for (let i = 0; i < flat.length; i += lineLength) lines.push(flat.slice(i, i + lineLength));
  return lines.join("\r\n");
}

/**
 * Decodes a body according to its Content-Transfer-Encoding; identity for 7bit, 8bit, binary
 * and unknown encodings.
 *
 * @param input encoded body bytes
 * @param encoding lowercased Content-Transfer-Encoding
 * @returns decoded bytes
 */
export function decodeTransfer(input: Uint8Array, encoding: string): Uint8Array {
  switch (encoding) {
    case "base64":
      return decodeBase64(input);
    case "quoted-printable":
      return decodeQuotedPrintable(input);
    default:
      return input;
  }
}
