/**
 * The SMTP client's byte stream: a TCP connection (`node:net`) that can become TLS in place
 * (`node:tls` over the same socket, for STARTTLS) or start as TLS (implicit TLS, port 465). Reads
 * are pulled (`read()`), so the shared `ByteReader` can sit on top; incoming bytes are bounded by
 * pausing the socket.
 *
 * @module
 */
import { Socket } from "node:net";
import { connect as tlsConnect, type DetailedPeerCertificate, type TLSSocket } from "node:tls";

/** TLS parameters of a client handshake. */
export interface ClientTlsOptions {
  /** SNI and certificate name. */
  servername: string;
  /** Verify the certificate chain and name. */
  verify: boolean;
  /** Extra trusted CA certificates (PEM), e.g. a test CA. */
  ca?: string[];
}

/** A client connection as the SMTP client uses it. */
export interface ClientConnection {
  /** Next chunk, or null at end of stream. */
  read(): Promise<Uint8Array | null>;
  write(data: Uint8Array | string): Promise<void>;
  /** Upgrades to TLS in place (STARTTLS). */
  startTls(opts: ClientTlsOptions): Promise<void>;
  readonly secure: boolean;
  /** e.g. "TLSv1.3", once secure. */
  readonly tlsProtocol: string | null;
  /** The chain the server sent (DER, leaf first); [] before TLS. Optional for wrapped connections. */
  peerChain?(): Uint8Array[];
  /**
   * Why the server's certificate would not verify (node's code, e.g. "CERT_HAS_EXPIRED",
   * "ERR_TLS_CERT_ALTNAME_INVALID"), also when verification was not enforced; null when it verifies.
   */
  readonly authorizationError?: string | null;
  close(): void;
}

/** Opens a connection (injectable: tests may wrap it). */
export type Connector = (
  opts: { host: string; port: number; tls: ClientTlsOptions | null; timeoutMs: number },
) => Promise<ClientConnection>;

const HIGH_WATER = 256 * 1024;

class NodeConnection implements ClientConnection {
  #sock: Socket | TLSSocket;
  #chunks: Uint8Array[] = [];
  #queued = 0;
  #ended = false;
  #error: Error | null = null;
  #waiter: (() => void) | null = null;
  #secure: boolean;
  #tlsProtocol: string | null = null;
  #authorizationError: string | null = null;

  constructor(sock: Socket | TLSSocket, secure: boolean) {
    this.#sock = sock;
    this.#secure = secure;
    if (secure) {
      this.#tlsProtocol = (sock as TLSSocket).getProtocol?.() ?? null;
      this.#authorizationError = authError(sock as TLSSocket);
    }
    this.#attach(sock);
  }

  #onData = (b: Uint8Array) => {
    this.#chunks.push(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
    this.#queued += b.byteLength;
    if (this.#queued > HIGH_WATER) this.#sock.pause();
    this.#wake();
  };
  #onEnd = () => {
    this.#ended = true;
    this.#wake();
  };
  #onError = (e: Error) => {
    this.#error = e;
    this.#ended = true;
    this.#wake();
  };

  #attach(sock: Socket | TLSSocket): void {
    sock.on("data", this.#onData);
    sock.on("end", this.#onEnd);
    sock.on("close", this.#onEnd);
    sock.on("error", this.#onError);
  }

  #detach(sock: Socket | TLSSocket): void {
    sock.off("data", this.#onData);
    sock.off("end", this.#onEnd);
    sock.off("close", this.#onEnd);
    sock.off("error", this.#onError);
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = null;
    w?.();
  }

  get secure(): boolean {
    return this.#secure;
  }

  get tlsProtocol(): string | null {
    return this.#tlsProtocol;
  }

  get authorizationError(): string | null {
    return this.#authorizationError;
  }

  async read(): Promise<Uint8Array | null> {
    for (;;) {
      const c = this.#chunks.shift();
      if (c) {
        this.#queued -= c.byteLength;
        if (this.#queued <= HIGH_WATER / 2) this.#sock.resume();
        return c;
      }
      if (this.#ended) {
        if (this.#error) throw this.#error;
        return null;
      }
      await new Promise<void>((r) => (this.#waiter = r));
    }
  }

  write(data: Uint8Array | string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#ended || this.#sock.destroyed) return reject(this.#error ?? new Error("Connection closed"));
      this.#sock.write(data, (err?: Error | null) => (err ? reject(err) : resolve()));
    });
  }

  peerChain(): Uint8Array[] {
    if (!this.#secure) return [];
    const out: Uint8Array[] = [];
    const seen = new Set<string>();
    // getPeerCertificate(true) links each certificate to its issuer; a self-signed one to itself.
    let c = (this.#sock as TLSSocket).getPeerCertificate?.(true) as DetailedPeerCertificate | undefined;
    while (c && c.raw && !seen.has(c.fingerprint256)) {
      seen.add(c.fingerprint256);
      out.push(new Uint8Array(c.raw));
      c = c.issuerCertificate;
    }
    return out;
  }

  async startTls(opts: ClientTlsOptions): Promise<void> {
    const plain = this.#sock;
    this.#detach(plain);
    // RFC 3207 §4.2: anything the server sent before the handshake is discarded.
    this.#chunks = [];
    this.#queued = 0;
    const tls = await handshake({ socket: plain as Socket }, opts);
    this.#sock = tls;
    this.#secure = true;
    this.#tlsProtocol = tls.getProtocol() ?? null;
    this.#authorizationError = authError(tls);
    this.#attach(tls);
  }

  close(): void {
    this.#ended = true;
    this.#sock.destroy();
    this.#wake();
  }
}

function authError(sock: TLSSocket): string | null {
  if (sock.authorized) return null;
  const e = sock.authorizationError as unknown;
  return e instanceof Error ? ((e as { code?: string }).code ?? e.message) : String(e ?? "unknown");
}

function handshake(
  base: { socket: Socket } | { host: string; port: number },
  opts: ClientTlsOptions,
): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const sock = tlsConnect({
      ...base,
      servername: /^[\d.]+$|:/.test(opts.servername) ? undefined : opts.servername,
      rejectUnauthorized: opts.verify,
      ca: opts.ca,
      minVersion: "TLSv1.2",
    });
    const fail = (e: Error) => {
      sock.destroy();
      reject(e);
    };
    sock.once("error", fail);
    sock.once("secureConnect", () => {
      sock.off("error", fail);
      resolve(sock);
    });
  });
}

/** The production connector over `node:net` / `node:tls`, with a connect timeout. */
export const nodeConnector: Connector = ({ host, port, tls, timeoutMs }) => {
  return new Promise((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      sock.destroy();
      reject(new ConnectTimeoutError(`Connection to ${host}:${port} timed out`));
    }, timeoutMs);
    const finish = (err: Error | null, conn?: ClientConnection) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(conn!);
    };
    const sock = new Socket();
    sock.once("error", (e) => {
      sock.destroy();
      finish(e);
    });
    sock.connect({ host, port }, () => {
      sock.removeAllListeners("error");
      if (!tls) return finish(null, new NodeConnection(sock, false));
      handshake({ socket: sock }, tls).then(
        (t) => finish(null, new NodeConnection(t, true)),
        (e) => {
          sock.destroy();
          finish(e);
        },
      );
    });
  });
};

/** The TCP connection was not established in time. */
export class ConnectTimeoutError extends Error {
  override name = "ConnectTimeoutError";
}
