/**
 * Buffered response writer: small responses are joined and written in one go; literal payloads
 * (message bodies) are written as bytes or streamed chunk by chunk, never built into one string.
 *
 * @module
 */
import type { Transport } from "../../core/net/transport.ts";

const FLUSH_AT = 64 * 1024;
const encoder = new TextEncoder();

/** Writes IMAP responses to a transport. */
export class ResponseWriter {
  #parts: (string | Uint8Array)[] = [];
  #size = 0;

  /**
   * Creates a writer over a transport.
   *
   * @param transport where flushed bytes go; replaced when COMPRESS (RFC 4978) starts
   */
  constructor(public transport: Transport) {}

  /** Queues text (no line ending added). */
  async text(s: string): Promise<void> {
    this.#parts.push(s);
    this.#size += s.length;
    if (this.#size >= FLUSH_AT) await this.flush();
  }

  /** Queues one response line (CRLF added). */
  line(s: string): Promise<void> {
    return this.text(s + "\r\n");
  }

  /** Queues literal bytes; large ones are written straight through in slices. */
  async bytes(b: Uint8Array): Promise<void> {
    if (b.length < FLUSH_AT) {
      this.#parts.push(b);
      this.#size += b.length;
      if (this.#size >= FLUSH_AT) await this.flush();
      return;
    }
    await this.flush();
    // Large payloads go out in slices so that a 50 MB body is never copied whole.
    for (let o = 0; o < b.length; o += 1 << 20) await this.transport.write(b.subarray(o, o + (1 << 20)));
  }

  /** Streams a body after the queued text. */
  async stream(rs: ReadableStream<Uint8Array>): Promise<number> {
    await this.flush();
    let n = 0;
    for await (const chunk of rs) {
      n += chunk.length;
      await this.transport.write(chunk);
    }
    return n;
  }

  /** Sends everything queued in one write. */
  async flush(): Promise<void> {
    if (this.#parts.length === 0) return;
    const parts = this.#parts;
    this.#parts = [];
    this.#size = 0;
    if (parts.every((p) => typeof p === "string")) {
      await this.transport.write(encoder.encode(parts.join("")));
      return;
    }
    const encoded = parts.map((p) => typeof p === "string" ? encoder.encode(p) : p);
    let n = 0;
    for (const e of encoded) n += e.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const e of encoded) {
      out.set(e, o);
      o += e.length;
    }
    await this.transport.write(out);
  }
}
