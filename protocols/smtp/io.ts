/**
 * The session's side of the wire: a `ByteReader` whose source flushes queued replies before it
 * blocks (RFC 2920 §3.1: replies to a pipelined batch go out together, and never later than the
 * moment the server waits for input), takes back bytes read past the end of DATA or a BDAT chunk,
 * and ends a read on idle timeout, the session limit or shutdown.
 *
 * @module
 */
import { ByteReader } from "../../core/net/reader.ts";
import type { Transport } from "../../core/net/transport.ts";
import type { SmtpReply } from "./codes.ts";
import { formatReply } from "./reply.ts";

/** Why input ended. */
export type EndReason = "eof" | "idle" | "session" | "shutdown";

/** Buffered reply output and interruptible input for one SMTP session. */
export class SessionIo {
  readonly reader: ByteReader;
  #transport: Transport;
  #idleMs: number;
  #out: string[] = [];
  #pushback: Uint8Array[] = [];
  #ended: EndReason | null = null;
  #interrupt: ((r: EndReason) => void) | null = null;
  #writeFailed = false;
  /**
   * The idle timer, one per session rather than one per read (creating and clearing a timer for
   * each of a message's four reads showed in the ingest profile): a read only moves `#deadline`.
   */
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the waiting read times out (`performance.now()` ms); 0 while no read waits. */
  #deadline = 0;
  /** Code of the last reply queued (the result of the command that sent it, for core/metrics). */
  lastCode = 0;

  /**
   * @param transport the connection
   * @param idleMs inactivity limit per read (RFC 5321 §4.5.3.2)
   */
  constructor(transport: Transport, idleMs: number) {
    this.#transport = transport;
    this.#idleMs = idleMs;
    this.reader = new ByteReader({ read: () => this.#read() });
  }

  /** Why input ended, once it has. */
  get endReason(): EndReason | null {
    return this.#ended;
  }

  /** Queues a reply; it is written at the next flush (at the latest before the next blocking read). */
  send(r: SmtpReply, enhanced: boolean): void {
    this.lastCode = r.code;
    this.#out.push(formatReply(r, enhanced));
  }

  /** Writes queued replies. */
  async flush(): Promise<void> {
    if (this.#out.length === 0) return;
    const text = this.#out.join("");
    this.#out = [];
    if (this.#writeFailed) return;
    try {
      await this.#transport.write(text);
    } catch {
      this.#writeFailed = true;
    }
  }

  /** Gives back bytes read past the end of a DATA body or BDAT chunk (they are the next commands). */
  unread(bytes: Uint8Array): void {
    if (bytes.length > 0) this.#pushback.unshift(bytes);
  }

  /**
   * Drops every byte received but not yet processed: STARTTLS, RFC 3207 §4.2 (a command pipelined
   * behind STARTTLS in plaintext must never run inside the TLS session). Returns the count.
   */
  discardInput(): number {
    let n = this.reader.discardBuffered();
    for (const b of this.#pushback) n += b.length;
    this.#pushback = [];
    return n;
  }

  /** Stops the idle timer (the session is over). */
  close(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    this.#deadline = 0;
  }

  #armIdle(): void {
    this.#deadline = performance.now() + this.#idleMs;
    this.#idleTimer ??= setTimeout(() => this.#idleCheck(), this.#idleMs);
  }

  #idleCheck(): void {
    this.#idleTimer = undefined;
    // No read waiting: the next one arms the timer again.
    if (this.#deadline === 0) return;
    const left = this.#deadline - performance.now();
    if (left <= 0) this.interrupt("idle");
    else this.#idleTimer = setTimeout(() => this.#idleCheck(), left);
  }

  /** Ends input now (timer, shutdown): a pending or the next read returns null. */
  interrupt(reason: EndReason): void {
    if (this.#ended === null) this.#ended = reason;
    this.#interrupt?.(reason);
  }

  async #read(): Promise<Uint8Array | null> {
    await this.flush();
    const back = this.#pushback.shift();
    if (back) return back;
    if (this.#ended !== null || this.#writeFailed) return null;
    try {
      const stop = new Promise<null>((resolve) => {
        this.#interrupt = () => resolve(null);
      });
      this.#armIdle();
      const chunk = await Promise.race([this.#transport.read(), stop]);
      if (chunk === null && this.#ended === null) this.#ended = "eof";
      return this.#ended !== null && this.#ended !== "eof" ? null : chunk;
    } finally {
      this.#deadline = 0;
      this.#interrupt = null;
    }
  }
}
