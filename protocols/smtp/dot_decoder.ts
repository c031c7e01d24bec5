/**
 * The DATA decoder (RFC 5321 §4.5.2 transparency, §4.1.1.4 end of data): a push parser fed with
 * raw chunks as they come off the wire, returning the unstuffed body and where the terminator
 * ended. Pure, no I/O; chunk boundaries may fall anywhere, including inside `<CRLF>.<CRLF>`.
 *
 * Bare LF and bare CR (SMTP smuggling, CVE-2023-51764 family): only `<CRLF>.<CRLF>` ends the data
 * and only a CRLF starts a new line. A bare LF or CR is an ordinary body octet: it is stored as
 * received (never rewritten, so the body is not corrupted), it does not start a line, so a dot after
 * it is neither unstuffed nor a terminator. `\n.\n`, `\n.\r\n` and `\r.\r` therefore stay inside the
 * message and can never smuggle a second message past Tern or a downstream hop.
 *
 * @module
 */

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const CR_ONLY = new Uint8Array([CR]);

const enum State {
  /** After CRLF (or at the start of the data). */
  LineStart,
  /** Inside a line. */
  Mid,
  /** Inside a line, just after a CR. */
  AfterCr,
  /** A dot at the start of a line (held back). */
  Dot,
  /** A dot then CR at the start of a line (both held back). */
  DotCr,
}

/** Result of feeding one chunk. */
export interface DotFeed {
  /** Body bytes decoded from this chunk (may be several pieces, in order). */
  body: Uint8Array[];
  /** Index in the chunk just past `<CRLF>.<CRLF>`, or -1 when the data goes on. */
  end: number;
}

/** Incremental decoder of one DATA body. */
export class DotDecoder {
  #state = State.LineStart;
  #done = false;

  /** True once the terminator has been seen. */
  get done(): boolean {
    return this.#done;
  }

  /**
   * Decodes `chunk`. The CRLF before the final dot belongs to the body (RFC 5321 §4.1.1.4); the
   * leading dot of a line with more characters is removed (§4.5.2). Bytes after the terminator are
   * not consumed: the caller hands them back to the command reader (pipelining, RFC 2920 §3.1).
   */
  feed(chunk: Uint8Array): DotFeed {
    if (this.#done) throw new RangeError("Data already complete");
    const body: Uint8Array[] = [];
    let start = 0;
    let state = this.#state;
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      const b = chunk[i]!;
      switch (state) {
        case State.Mid: {
          // Fast path: jump to the next CR.
          const j = chunk.indexOf(CR, i);
          if (j === -1) {
            i = n;
            break;
          }
          i = j;
          state = State.AfterCr;
          break;
        }
        case State.AfterCr:
          state = b === LF ? State.LineStart : b === CR ? State.AfterCr : State.Mid;
          break;
        case State.LineStart:
          if (b === DOT) {
            if (i > start) body.push(chunk.subarray(start, i));
            start = i + 1; // hold the dot back
            state = State.Dot;
          } else {
            state = b === CR ? State.AfterCr : State.Mid;
          }
          break;
        case State.Dot:
          if (b === CR) {
            start = i + 1; // hold the CR back too
            state = State.DotCr;
          } else {
            // "." followed by more characters: the dot was stuffing and is dropped (§4.5.2).
            state = State.Mid;
          }
          break;
        case State.DotCr:
          if (b === LF) {
            this.#done = true;
            this.#state = State.LineStart;
            return { body, end: i + 1 };
          }
          // ".\r" then something else: a stuffed dot before a bare CR. Drop the dot, keep the CR.
          body.push(CR_ONLY);
          start = i;
          state = b === CR ? State.AfterCr : State.Mid;
          break;
      }
    }
    if (state !== State.Dot && state !== State.DotCr && n > start) body.push(chunk.subarray(start, n));
    this.#state = state;
    return { body, end: -1 };
  }
}
