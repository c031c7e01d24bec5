/**
 * A bounded, buffered byte reader over a `Transport` (or anything with `read()`): the shared line
 * and literal reader of SMTP, IMAP and POP3. Nothing here grows without bound: a line longer than
 * the limit is consumed and dropped up to its LF and reported as `tooLong`.
 *
 * @module
 */

/** The byte source a reader pulls from. */
export interface ByteSource {
  /** Next chunk, or null at end of stream. */
  read(): Promise<Uint8Array | null>;
}

/** How a line ended on the wire. `none` means end of stream before any line ending. */
export type LineEnding = "crlf" | "lf" | "cr" | "none";

/** One line read from the wire, without its ending. */
export interface LineResult {
  line: Uint8Array;
  ending: LineEnding;
  /** The line exceeded the limit; `line` holds only the first `max` bytes. */
  tooLong: boolean;
}

const LF = 0x0a;
const CR = 0x0d;
const EMPTY = new Uint8Array(0);

/** Buffered reader with bounded line and exact-length reads. */
export class ByteReader {
  #source: ByteSource;
  #buf: Uint8Array = EMPTY;
  #pos = 0;
  #eof = false;

  /** @param source the transport (or any source) to read from */
  constructor(source: ByteSource) {
    this.#source = source;
  }

  /** Bytes buffered but not yet consumed. */
  get buffered(): number {
    return this.#buf.length - this.#pos;
  }

  /** True once the source reported end of stream and the buffer is empty. */
  get eof(): boolean {
    return this.#eof && this.buffered === 0;
  }

  /** Pulls one more chunk into the buffer; false at end of stream. */
  async #fill(): Promise<boolean> {
    if (this.#eof) return false;
    const chunk = await this.#source.read();
    if (chunk === null) {
      this.#eof = true;
      return false;
    }
    if (chunk.length === 0) return true;
    const rest = this.#buf.length - this.#pos;
    if (rest === 0) {
      this.#buf = chunk;
    } else {
      const merged = new Uint8Array(rest + chunk.length);
      merged.set(this.#buf.subarray(this.#pos), 0);
      merged.set(chunk, rest);
      this.#buf = merged;
    }
    this.#pos = 0;
    return true;
  }

  /**
   * Reads one line terminated by LF (a preceding CR is removed and reported as `crlf`). A line
   * longer than `max` bytes is consumed up to its LF; only its first `max` bytes are returned and
   * `tooLong` is set. A bare CR not followed by LF stays inside the line (callers that care, e.g.
   * SMTP DATA, inspect the bytes). Returns null at end of stream with nothing buffered.
   */
  async readLine(max: number): Promise<LineResult | null> {
    const kept: Uint8Array[] = [];
    let keptLen = 0; // bytes kept, at most max + 1 (the extra one may be the CR of a CRLF)
    let total = 0; // bytes of the line seen so far, LF excluded
    let lastByte = -1;
    for (;;) {
      if (this.buffered === 0 && !(await this.#fill())) {
        if (total === 0) return null;
        return this.#line(kept, keptLen, total, max, "none");
      }
      const idx = this.#buf.indexOf(LF, this.#pos);
      const end = idx === -1 ? this.#buf.length : idx;
      const seg = this.#buf.subarray(this.#pos, end);
      const room = max + 1 - keptLen;
      if (room > 0 && seg.length > 0) {
        const take = seg.subarray(0, Math.min(room, seg.length));
        kept.push(take.slice());
        keptLen += take.length;
      }
      if (seg.length > 0) lastByte = seg[seg.length - 1]!;
      total += seg.length;
      this.#pos = idx === -1 ? this.#buf.length : idx + 1;
      if (idx !== -1) {
        const crlf = lastByte === CR;
        return this.#line(kept, keptLen, crlf ? total - 1 : total, max, crlf ? "crlf" : "lf");
      }
    }
  }

  #line(
    kept: Uint8Array[],
    keptLen: number,
    contentLen: number,
    max: number,
    ending: LineEnding,
  ): LineResult {
    const n = Math.min(contentLen, max, keptLen);
    const line = kept.length === 1 ? kept[0]!.subarray(0, n) : new Uint8Array(n);
    if (kept.length !== 1) {
      let off = 0;
      for (const p of kept) {
        if (off >= n) break;
        const c = Math.min(p.length, n - off);
        line.set(p.subarray(0, c), off);
        off += c;
      }
    }
    return { line, ending, tooLong: contentLen > max };
  }

  /** Reads exactly `n` bytes (an IMAP literal, a BDAT chunk). Null if the stream ends first. */
  async readExact(n: number): Promise<Uint8Array | null> {
    if (this.buffered >= n) {
      const out = this.#buf.slice(this.#pos, this.#pos + n);
      this.#pos += n;
      return out;
    }
    // Fill a preallocated buffer chunk by chunk: linear even for a 50 MB literal.
    const out = new Uint8Array(n);
    let off = this.buffered;
    out.set(this.#buf.subarray(this.#pos), 0);
    this.#buf = EMPTY;
    this.#pos = 0;
    while (off < n) {
      if (this.#eof) return null;
      const chunk = await this.#source.read();
      if (chunk === null) {
        this.#eof = true;
        return null;
      }
      const take = Math.min(chunk.length, n - off);
      out.set(chunk.subarray(0, take), off);
      off += take;
      if (take < chunk.length) {
        this.#buf = chunk.subarray(take);
        this.#pos = 0;
      }
    }
    return out;
  }

  /** Buffered bytes if any, else the next chunk from the source; null at end of stream. */
  async readChunk(): Promise<Uint8Array | null> {
    if (this.buffered > 0) {
      const out = this.#buf.slice(this.#pos);
      this.#buf = EMPTY;
      this.#pos = 0;
      return out;
    }
    if (this.#eof) return null;
    const chunk = await this.#source.read();
    if (chunk === null) this.#eof = true;
    return chunk;
  }

  /**
   * Drops everything buffered and returns how many bytes were dropped. Called right after
   * STARTTLS: plaintext pipelined behind the command must never be executed after the upgrade
   * (RFC 3207 §4.2, RFC 9051 §6.2.1, RFC 2595 §3.1).
   */
  discardBuffered(): number {
    const n = this.buffered;
    this.#buf = EMPTY;
    this.#pos = 0;
    return n;
  }

  /** Switches to another source (after a TLS upgrade the transport reads decrypted bytes). */
  setSource(source: ByteSource): void {
    this.#source = source;
    this.#eof = false;
  }
}
