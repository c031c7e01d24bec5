/**
 * Whether bytes can be taken for an Internet message (RFC 5322 §2.1–§2.2): the header section (up
 * to the first empty line) holds no NUL or other control characters but TAB, CR and LF, and, when
 * it is not empty, at least one header field (a field name of printable ASCII but ":", then ":").
 * Lenient as real mail requires: an mbox "From " line (RFC 4155), malformed lines among the fields
 * and an empty header section are accepted. Pure: no I/O. JMAP uses it to answer `notParsable`
 * (Email/parse) and `invalidEmail` (Email/import) for blobs that are not messages, where the MIME
 * parser would accept anything.
 *
 * @module
 */

/** Bytes of the header section examined. */
const MAX_HEADER_SECTION = 256 * 1024;

/** True when `bytes` can be taken for an RFC 5322 message. */
export function looksLikeMessage(bytes: Uint8Array): boolean {
  const n = Math.min(bytes.length, MAX_HEADER_SECTION);
  if (n === 0) return false;
  let i = 0;
  let fields = 0;
  let lines = 0;
  while (i < n) {
    const c = bytes[i]!;
    // The empty line that ends the header section (CRLF or bare LF).
    if (c === 0x0a || (c === 0x0d && bytes[i + 1] === 0x0a)) break;
    const start = i;
    while (i < n && bytes[i] !== 0x0a) {
      const b = bytes[i]!;
      // RFC 5322 §2.2: header fields are US-ASCII text; control characters mean binary data.
      if ((b < 0x20 && b !== 0x09 && b !== 0x0d) || b === 0x7f) return false;
      i++;
    }
    i++;
    lines++;
    if (isFieldStart(bytes, start, i)) fields++;
  }
  return lines === 0 || fields > 0;
}

/** RFC 5322 §2.2: field-name = 1*ftext (%d33-57 / %d59-126), WSP tolerated before ":" (§4.5.3). */
function isFieldStart(bytes: Uint8Array, start: number, end: number): boolean {
  let j = start;
  while (j < end && bytes[j]! >= 33 && bytes[j]! <= 126 && bytes[j] !== 0x3a) j++;
  if (j === start) return false;
  while (j < end && (bytes[j] === 0x20 || bytes[j] === 0x09)) j++;
  return bytes[j] === 0x3a;
}
