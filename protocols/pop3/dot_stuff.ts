/**
 * Streams a stored message onto the POP3 wire (RFC 1939 §3): every line ending becomes CRLF
 * whatever is stored (bare LF or bare CR), and a line starting with "." gets one more "." in front.
 * Pure and incremental: feed chunks, get wire bytes; `end()` terminates the multi-line response.
 *
 * @module
 */

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;

/** Incremental converter from stored bytes to dot-stuffed CRLF wire bytes. */
export class DotStuffer {
  /** True at the start of a line. */
  #lineStart = true;
  /** The previous chunk ended with CR whose LF (if any) may come next. */
  #pendingCr = false;
  /** Bytes of the body's current line that were emitted (used to know if output ended with CRLF). */
  #wroteAny = false;

  /** Converts one chunk. */
  push(chunk: Uint8Array): Uint8Array {
    // Worst case every byte becomes two (LF -> CRLF, "." -> ".."), plus one pending CR.
    const out = new Uint8Array(chunk.length * 2 + 2);
    let o = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.#pendingCr) {
        this.#pendingCr = false;
        if (b === LF) continue; // the CRLF was already written when the CR arrived
      }
      if (b === CR) {
        out[o++] = CR;
        out[o++] = LF;
        this.#pendingCr = true;
        this.#lineStart = true;
        continue;
      }
      if (b === LF) {
        out[o++] = CR;
        out[o++] = LF;
        this.#lineStart = true;
        continue;
      }
      if (this.#lineStart && b === DOT) out[o++] = DOT;
      this.#lineStart = false;
      out[o++] = b;
    }
    if (o > 0) this.#wroteAny = true;
    return out.subarray(0, o);
  }

  /** The terminator: a CRLF if the message did not end with one, then ".CRLF". */
  end(): Uint8Array {
    const tail = this.#lineStart || !this.#wroteAny ? "" : "\r\n";
    return new TextEncoder().encode(`${tail}.\r\n`);
  }
}

/** Converts a whole buffer (tests and small messages). */
export function dotStuff(bytes: Uint8Array): Uint8Array {
  const s = new DotStuffer();
  const a = s.push(bytes);
  const b = s.end();
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
