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

/**
 * Returns the bytes with every bare LF turned into CRLF (a bare CR is left alone, as Dovecot's
 * APPEND does), and without a lone CR at the very end: an unfinished line ending, not data (RFC
 * 5322 §2.3: CR occurs only in CRLF), which Dovecot and mbsync drop too. Returns the input itself
 * when there is nothing to change. This is the canonical form IMAP stores an APPENDed message in
 * (RFC 5322 §2.3: lines end in CRLF; RFC 9051 §6.3.12).
 *
 * @param raw bytes
 * @returns bytes whose every LF is preceded by CR and whose last byte is not a lone CR
 */
export function lfToCrlf(raw: Uint8Array): Uint8Array {
  const input = raw.length > 0 && raw[raw.length - 1] === CR ? raw.subarray(0, raw.length - 1) : raw;
  let bare = 0;
  for (let i = input.indexOf(LF); i >= 0; i = input.indexOf(LF, i + 1)) {
    if (i === 0 || input[i - 1] !== CR) bare++;
  }
  if (bare === 0) return input;
  const out = new Uint8Array(input.length + bare);
  let o = 0;
  let from = 0;
  for (let i = input.indexOf(LF); i >= 0; i = input.indexOf(LF, i + 1)) {
    if (i > 0 && input[i - 1] === CR) continue;
    out.set(input.subarray(from, i), o);
    o += i - from;
    out[o++] = CR;
    from = i;
  }
  out.set(input.subarray(from), o);
  return out;
}
