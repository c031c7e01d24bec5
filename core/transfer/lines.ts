/**
 * Splits a byte stream into lines (LF, with an optional CR before it removed) without holding more
 * than one line and one read chunk: the mbox reader's constant memory rests on it.
 *
 * @module
 */

/** A line without its ending; `truncated` when it was longer than the limit (the rest is dropped). */
export interface Line {
  bytes: Uint8Array;
  truncated: boolean;
}

/**
 * Lines of `stream`; a final line without LF is returned too. Lines beyond `maxLine` bytes are cut
 * there and flagged. `onBytes` is told how many bytes were read (for progress).
 */
export async function* readLines(
  stream: ReadableStream<Uint8Array>,
  maxLine: number,
  onBytes: (n: number) => void = () => {},
): AsyncGenerator<Line> {
  let carry = new Uint8Array(0);
  let truncated = false;
  const finish = (bytes: Uint8Array): Line => {
    const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
    const line = { bytes: bytes.subarray(0, end), truncated };
    truncated = false;
    return line;
  };
  for await (const chunk of stream) {
    onBytes(chunk.length);
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) break;
      const piece = chunk.subarray(start, nl);
      let whole: Uint8Array;
      if (carry.length > 0) {
        whole = new Uint8Array(carry.length + piece.length);
        whole.set(carry);
        whole.set(piece, carry.length);
        carry = new Uint8Array(0);
      } else whole = piece;
      if (whole.length > maxLine) {
        whole = whole.subarray(0, maxLine);
        truncated = true;
      }
      yield finish(whole.slice());
      start = nl + 1;
    }
    const rest = chunk.subarray(start);
    if (rest.length > 0 && carry.length < maxLine) {
      const room = Math.min(rest.length, maxLine - carry.length);
      if (room < rest.length) truncated = true;
      const next = new Uint8Array(carry.length + room);
      next.set(carry);
      next.set(rest.subarray(0, room), carry.length);
      carry = next;
    } else if (rest.length > 0) truncated = true;
  }
  if (carry.length > 0) yield finish(carry);
}

/** Concatenates lines with CRLF after each. */
export function joinCrlf(lines: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const l of lines) size += l.length + 2;
  const out = new Uint8Array(size);
  let at = 0;
  for (const l of lines) {
    out.set(l, at);
    at += l.length;
    out[at++] = 0x0d;
    out[at++] = 0x0a;
  }
  return out;
}
