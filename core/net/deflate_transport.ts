/**
 * A `Transport` layer that compresses both directions with raw DEFLATE (RFC 1951, no zlib header),
 * as IMAP COMPRESS=DEFLATE (RFC 4978) requires once the tagged OK has been sent.
 *
 * Every `write` ends with a sync flush (RFC 4978 §4: the server flushes at response boundaries),
 * so a batch of responses handed over by the session's writer reaches the client whole. Reads are
 * pull-based and bounded: compressed input is fed to the inflater in small slices, only when the
 * previous output was consumed, so one `read` yields at most about `SLICE × 1032` bytes (the
 * DEFLATE maximum ratio) and a decompression bomb cannot grow memory; the protocol's own line and
 * literal limits then apply to the decompressed bytes.
 *
 * @module
 */
import zlib from "node:zlib";
import type { TlsInfo, Transport } from "./transport.ts";

/** Compressed bytes handed to the inflater at a time: bounds one read's output to ~512 KiB. */
const SLICE = 512;

/** Thrown by writes after the compression stream failed or the transport closed. */
export class DeflateError extends Error {
  /** Error name. */
  override name = "DeflateError";
}

/** Raw DEFLATE in both directions over an inner transport. */
export class DeflateTransport implements Transport {
  readonly #inner: Transport;
  readonly #deflate = zlib.createDeflateRaw();
  readonly #inflate = zlib.createInflateRaw();
  #deflated: Uint8Array[] = [];
  #inflated: Uint8Array[] = [];
  /** Compressed input not yet fed to the inflater. */
  #input: Uint8Array;
  #failed = false;
  #writing: Promise<void> = Promise.resolve();

  /**
   * Wraps a transport.
   *
   * @param inner the (possibly TLS) transport underneath
   * @param initial compressed bytes already received from the client (pipelined after COMPRESS)
   */
  constructor(inner: Transport, initial: Uint8Array = new Uint8Array(0)) {
    this.#inner = inner;
    this.#input = initial;
    this.#deflate.on("data", (c: Uint8Array) => this.#deflated.push(c));
    this.#inflate.on("data", (c: Uint8Array) => this.#inflated.push(c));
    // Corrupt input or a broken stream ends the session; an unhandled 'error' would crash the process.
    this.#deflate.on("error", () => this.#fail());
    this.#inflate.on("error", () => this.#fail());
  }

  /** Client IP address. */
  get remoteAddress(): string {
    return this.#inner.remoteAddress;
  }
  /** Client TCP port. */
  get remotePort(): number {
    return this.#inner.remotePort;
  }
  /** Local IP address. */
  get localAddress(): string {
    return this.#inner.localAddress;
  }
  /** Local TCP port. */
  get localPort(): number {
    return this.#inner.localPort;
  }
  /** True when the inner transport is TLS. */
  get secure(): boolean {
    return this.#inner.secure;
  }
  /** TLS details of the inner transport. */
  get tlsInfo(): TlsInfo | null {
    return this.#inner.tlsInfo;
  }
  /** Resolves when the inner transport closes. */
  get closed(): Promise<void> {
    return this.#inner.closed;
  }

  /** Decompressed bytes held but not yet returned by `read` (bounded by one slice's output). */
  get pending(): number {
    let n = 0;
    for (const c of this.#inflated) n += c.length;
    return n;
  }

  /** The next chunk of decompressed bytes, or null at end of stream or on corrupt input. */
  async read(): Promise<Uint8Array | null> {
    for (;;) {
      if (this.#failed) return null;
      const ready = this.#inflated.shift();
      if (ready) return ready;
      if (this.#input.length === 0) {
        const chunk = await this.#inner.read();
        if (chunk === null) return null;
        this.#input = chunk;
        continue;
      }
      const slice = this.#input.subarray(0, SLICE);
      this.#input = this.#input.subarray(slice.length);
      const ok = await new Promise<boolean>((resolve) => this.#inflate.write(slice, (err) => resolve(!err)));
      if (!ok) this.#fail();
    }
  }

  /** Compresses and sends the bytes, then a sync flush so the client can decode all of them. */
  write(data: Uint8Array | string): Promise<void> {
    // Writes are serialised: each one's compressed output is sent before the next begins.
    const next = this.#writing.then(() => this.#write(data));
    this.#writing = next.catch(() => {});
    return next;
  }

  async #write(data: Uint8Array | string): Promise<void> {
    if (this.#failed) throw new DeflateError("Compression stream closed");
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    const ok = await new Promise<boolean>((resolve) => {
      this.#deflate.write(bytes, (err) => {
        if (err) return resolve(false);
        // RFC 4978 §4: Z_SYNC_FLUSH ends the output on a byte boundary with everything decodable.
        this.#deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve(true));
      });
    });
    const parts = this.#deflated;
    this.#deflated = [];
    if (!ok || this.#failed) {
      this.#fail();
      throw new DeflateError("Compression failed");
    }
    if (parts.length === 1) return await this.#inner.write(parts[0]!);
    let n = 0;
    for (const p of parts) n += p.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    await this.#inner.write(out);
  }

  /** RFC 4978 §4: TLS cannot be started under compression (STARTTLS is pre-login anyway). */
  upgradeTls(): Promise<void> {
    return Promise.reject(new DeflateError("TLS cannot start after COMPRESS"));
  }

  /** Closes the inner transport and frees the zlib streams. */
  close(): void {
    this.#inner.close();
    this.#destroy();
  }

  #fail(): void {
    this.#failed = true;
    this.#inflated = [];
    this.#input = new Uint8Array(0);
  }

  #destroy(): void {
    this.#fail();
    this.#deflate.destroy();
    this.#inflate.destroy();
  }
}
