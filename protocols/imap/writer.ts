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
  #parts: string[] = [];
  #size = 0;

  /** @param transport the connection */
  /** Creates a writer over a transport. */
  constructor(readonly transport: Transport) {}

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

  /** Writes raw bytes after the queued text. */
  async bytes(b: Uint8Array): Promise<void> {
    if (b.length < 4096) {
      // Small payloads join the text buffer; latin1 would corrupt UTF-8, so flush and write bytes.
      await this.flush();
      await this.transport.write(b);
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

  /** Sends everything queued. */
  async flush(): Promise<void> {
    if (this.#parts.length === 0) return;
    const s = this.#parts.length === 1 ? this.#parts[0]! : this.#parts.join("");
    this.#parts = [];
    this.#size = 0;
    await this.transport.write(encoder.encode(s));
  }
}
