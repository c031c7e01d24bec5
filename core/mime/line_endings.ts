/**
 * Line-ending normalisation for protocols that require CRLF on the wire (IMAP literals, POP3,
 * RFC 5322 §2.3), and the CRLF-normalised size of a byte range (IMAP RFC822.SIZE and
 * BODYSTRUCTURE sizes of messages stored with bare LF).
 *
 * @module
 */

const CR = 0x0d;
const LF = 0x0a;

/**
 * Size of `raw[start, end)` once every bare LF and bare CR is turned into CRLF.
 *
 * @param raw bytes
 * @param start range start (default 0)
 * @param end range end (default the length)
 * @returns the normalised size in octets
 */
export function crlfLength(raw: Uint8Array, start = 0, end = raw.length): number {
  let extra = 0;
  for (let i = start; i < end; i++) {
    const c = raw[i];
    if (c === LF) {
      if (i === start || raw[i - 1] !== CR) extra++;
    } else if (c === CR && (i + 1 >= end || raw[i + 1] !== LF)) {
      extra++;
    }
  }
  return end - start + extra;
}

/**
 * Returns the bytes with every bare LF and bare CR turned into CRLF; returns the input itself
 * when it already uses CRLF only.
 *
 * @param raw bytes
 * @returns CRLF-normalised bytes
 */
export function toCrlf(raw: Uint8Array): Uint8Array {
  const size = crlfLength(raw);
  if (size === raw.length) return raw;
  const out = new Uint8Array(size);
  let o = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === LF && (i === 0 || raw[i - 1] !== CR)) {
      out[o++] = CR;
      out[o++] = LF;
    } else if (c === CR && (i + 1 >= raw.length || raw[i + 1] !== LF)) {
      out[o++] = CR;
      out[o++] = LF;
    } else {
      out[o++] = c;
    }
  }
  return out;
}
