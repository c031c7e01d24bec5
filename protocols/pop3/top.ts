/**
 * TOP (RFC 1939 §7): the header, the blank line that ends it, and the first `n` lines of the body.
 * Pure function over the stored bytes; the caller dot-stuffs the result.
 *
 * @module
 */

const CR = 0x0d;
const LF = 0x0a;

/** Index just past the line ending that starts at `i` (CRLF, LF or CR), or -1 if none. */
function endingLength(bytes: Uint8Array, i: number): number {
  if (bytes[i] === CR) return bytes[i + 1] === LF ? 2 : 1;
  if (bytes[i] === LF) return 1;
  return 0;
}

/** Returns the prefix of `raw` holding the header, the separator line and `lines` body lines. */
export function topOf(raw: Uint8Array, lines: number): Uint8Array {
  // Find the end of the header: the first empty line.
  let i = 0;
  let atLineStart = true;
  let bodyStart = raw.length;
  while (i < raw.length) {
    const e = endingLength(raw, i);
    if (e > 0) {
      if (atLineStart) {
        bodyStart = i + e;
        break;
      }
      atLineStart = true;
      i += e;
    } else {
      atLineStart = false;
      i++;
    }
  }
  if (bodyStart >= raw.length || lines === 0) return raw.subarray(0, bodyStart);
  let count = 0;
  i = bodyStart;
  while (i < raw.length) {
    const e = endingLength(raw, i);
    if (e > 0) {
      i += e;
      if (++count === lines) return raw.subarray(0, i);
    } else {
      i++;
    }
  }
  return raw;
}
