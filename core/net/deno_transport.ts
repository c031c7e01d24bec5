/**
 * `Transport` over a Deno TCP connection, with server-side TLS through `node:tls`.
 *
 * Deno cannot upgrade an accepted server connection to TLS natively (`Deno.startTls` is client
 * only), so STARTTLS wraps the connection's web streams in a `node:stream` Duplex and runs a
 * `node:tls` server socket over it. Implicit-TLS listeners use the same path right after accept:
 * one code path, per-handshake certificates (reloadable without re-binding) and full TLS details
 * (protocol, cipher, SNI), which `Deno.TlsConn` does not expose. A `Deno.TlsConn` from
 * `Deno.listenTls` is accepted too (`secure` from the start).
 *
 * @module
 */
import { Duplex } from "node:stream";
import { TLSSocket } from "node:tls";
import type {
  ReadableStream as NodeReadableStream,
  WritableStream as NodeWritableStream,
} from "node:stream/web";
import type { TlsInfo, Transport } from "./transport.ts";
import type { TlsSource } from "../tls/provider.ts";

/** Options of a `DenoTransport`. */
export interface DenoTransportOptions {
  /** Certificate source for `upgradeTls()`; without it, upgrading fails. */
  tls?: TlsSource | null;
  /** The connection is a `Deno.TlsConn` (implicit TLS by `Deno.listenTls`). */
  nativeTls?: boolean;
  /** Milliseconds a TLS handshake may take before the connection is dropped (default 30 s). */
  handshakeTimeoutMs?: number;
  /** Called once TLS is active (the listener marks the session secure). */
  onSecure?: () => void;
}

/** Thrown by `upgradeTls()` when the handshake fails or times out. */
export class TlsHandshakeError extends Error {
  /** Error name. */
  override name = "TlsHandshakeError";
}

/** Read buffer while bytes come in bulk (a literal, a message's DATA). */
const READ_SIZE = 16 * 1024;
/**
 * Read buffer of a connection whose recent reads were all short (commands, an idle session): a
 * pending read holds its buffer until bytes arrive, and 2,000 sessions in IDLE each held 16 KiB.
 */
const READ_SMALL = 2 * 1024;
/** Short reads after a long one before the buffer goes back to `READ_SMALL`. */
const LARGE_READS_KEPT = 8;
/** Decrypted bytes buffered before the TLS socket is paused (backpressure). */
const TLS_HIGH_WATER = 256 * 1024;
/** How long close() waits for the TLS close_notify to be flushed. */
const CLOSE_NOTIFY_MS = 2_000;

/** A client connection over `Deno.Conn`, optionally upgraded to TLS. */
export class DenoTransport implements Transport {
  /** Client IP address. */
  readonly remoteAddress: string;
  /** Client TCP port. */
  readonly remotePort: number;
  /** Local IP address the client connected to. */
  readonly localAddress: string;
  /** Local TCP port. */
  readonly localPort: number;
  /** Resolves when the connection is closed locally or the peer ended it. */
  readonly closed: Promise<void>;

  readonly #conn: Deno.Conn;
  readonly #tlsSource: TlsSource | null;
  readonly #handshakeTimeoutMs: number;
  readonly #onSecure: (() => void) | undefined;
  /** The large read buffer, kept while reads come in bulk (`#recentBulk`); null otherwise. */
  #large: Uint8Array | null = null;
  readonly #small = new Uint8Array(READ_SMALL);
  /** Reads left before a session whose reads became short goes back to the small buffer. */
  #recentBulk = 0;
  #secure: boolean;
  #tlsInfo: TlsInfo | null = null;
  #isClosed = false;
  #resolveClosed!: () => void;

  // node:tls state after an upgrade
  #sock: TLSSocket | null = null;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #eof = false;
  #wake: (() => void) | null = null;

  /** Wraps an accepted connection (plain, or a `Deno.TlsConn` with `nativeTls`). */
  constructor(conn: Deno.Conn, options: DenoTransportOptions = {}) {
    this.#conn = conn;
    this.#tlsSource = options.tls ?? null;
    this.#handshakeTimeoutMs = options.handshakeTimeoutMs ?? 30_000;
    this.#onSecure = options.onSecure;
    this.#secure = options.nativeTls ?? false;
    if (this.#secure) this.#tlsInfo = { protocol: "TLS", cipher: "unknown" };
    const remote = conn.remoteAddr as Deno.NetAddr;
    const local = conn.localAddr as Deno.NetAddr;
    this.remoteAddress = remote.hostname;
    this.remotePort = remote.port;
    this.localAddress = local.hostname;
    this.localPort = local.port;
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  /** True once TLS is active. */
  get secure(): boolean {
    return this.#secure;
  }

  /** Protocol, cipher and SNI name of the TLS session, or null before TLS. */
  get tlsInfo(): TlsInfo | null {
    return this.#tlsInfo;
  }

  /** The next chunk of bytes, or null at end of stream (or after close). */
  async read(): Promise<Uint8Array | null> {
    if (this.#sock) return await this.#readTls();
    if (this.#isClosed || this.#eof) return null;
    try {
      const buf = this.#recentBulk > 0 ? (this.#large ??= new Uint8Array(READ_SIZE)) : this.#small;
      const n = await this.#conn.read(buf);
      if (n === null) {
        // The peer shut down its side; writing may still work (a client that half-closes after
        // QUIT still gets the reply).
        this.#eof = true;
        this.#resolveClosed();
        return null;
      }
      // A read that filled the small buffer, or brought more than it holds, starts bulk reading.
      if (n >= READ_SMALL) this.#recentBulk = LARGE_READS_KEPT;
      else if (this.#recentBulk > 0 && --this.#recentBulk === 0) this.#large = null;
      return buf.slice(0, n);
    } catch {
      // Reset by peer, or closed locally while reading.
      this.close();
      return null;
    }
  }

  async #readTls(): Promise<Uint8Array | null> {
    while (true) {
      const chunk = this.#queue.shift();
      if (chunk) {
        this.#queued -= chunk.byteLength;
        if (this.#queued < TLS_HIGH_WATER && this.#sock?.isPaused()) this.#sock.resume();
        return chunk;
      }
      if (this.#eof || this.#isClosed) return null;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** Writes all bytes; rejects when the connection is gone. */
  async write(data: Uint8Array | string): Promise<void> {
    if (this.#isClosed) throw new Deno.errors.BrokenPipe("Connection closed");
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    const sock = this.#sock;
    if (sock) {
      await new Promise<void>((resolve, reject) => {
        sock.write(bytes, (err) => (err ? reject(err) : resolve()));
      });
      return;
    }
    try {
      let off = 0;
      while (off < bytes.byteLength) off += await this.#conn.write(bytes.subarray(off));
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /**
   * Server-side TLS handshake over the connection (STARTTLS, or right after accept on an
   * implicit-TLS listener). Afterwards reads and writes go through TLS. Throws `TlsHandshakeError`
   * (and closes the connection) when the handshake fails or times out.
   */
  async upgradeTls(): Promise<void> {
    if (this.#secure) throw new TlsHandshakeError("TLS is already active");
    if (!this.#tlsSource) throw new TlsHandshakeError("No certificate configured for this listener");
    if (this.#isClosed) throw new TlsHandshakeError("Connection closed");
    const duplex = Duplex.fromWeb(
      // The DOM and node:stream/web stream types differ only in declarations (`value?` on done).
      {
        readable: this.#conn.readable as unknown as NodeReadableStream<Uint8Array>,
        writable: this.#conn.writable as unknown as NodeWritableStream<Uint8Array>,
      },
      { objectMode: false },
    );
    const sock = new TLSSocket(duplex, {
      isServer: true,
      secureContext: this.#tlsSource.secureContext(),
    });
    this.#sock = sock;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(
          () => reject(new TlsHandshakeError("TLS handshake timed out")),
          this.#handshakeTimeoutMs,
        );
        sock.once("secure", resolve);
        sock.once(
          "error",
          (err: Error) => reject(new TlsHandshakeError(`TLS handshake failed: ${err.message}`)),
        );
        sock.once("close", () => reject(new TlsHandshakeError("Connection closed during TLS handshake")));
      });
    } catch (err) {
      this.close();
      throw err;
    } finally {
      clearTimeout(timer);
    }
    sock.removeAllListeners("error");
    sock.removeAllListeners("close");
    sock.on("data", (chunk: Uint8Array) => {
      this.#queue.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.#queued += chunk.byteLength;
      if (this.#queued >= TLS_HIGH_WATER) sock.pause();
      this.#notify();
    });
    const onEnd = () => {
      // The peer ended its side (as on a plain connection: reads end, `closed` resolves).
      this.#eof = true;
      this.#notify();
      this.#resolveClosed();
    };
    sock.on("end", onEnd);
    sock.on("error", () => this.close());
    sock.on("close", () => {
      onEnd();
      this.close();
    });
    this.#secure = true;
    const cipher = sock.getCipher();
    const servername = (sock as TLSSocket & { servername?: string | false }).servername;
    this.#tlsInfo = {
      protocol: sock.getProtocol() ?? "unknown",
      cipher: cipher?.standardName ?? cipher?.name ?? "unknown",
      ...(servername ? { servername } : {}),
    };
    this.#onSecure?.();
  }

  /** Closes the connection (TLS close_notify first when TLS is active); idempotent. */
  close(): void {
    if (this.#isClosed) return;
    this.#markClosed();
    const sock = this.#sock;
    if (!sock || sock.destroyed) return this.#closeConn();
    // Send close_notify (RFC 8446 §6.1) and flush before closing the socket; a peer that stopped
    // reading cannot hold the connection open longer than CLOSE_NOTIFY_MS.
    const finish = () => {
      clearTimeout(timer);
      sock.destroy();
      this.#closeConn();
    };
    const timer = setTimeout(finish, CLOSE_NOTIFY_MS);
    sock.end(finish);
    sock.once("close", finish);
  }

  #closeConn(): void {
    try {
      this.#conn.close();
    } catch {
      // Already closed by the peer or by the TLS socket.
    }
  }

  #markClosed(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#eof = true;
    this.#notify();
    this.#resolveClosed();
  }
}
