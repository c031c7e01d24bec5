/**
 * An abstract byte stream between Tern and one client. Sessions are state machines over this
 * interface; the implementations wrap `Deno.Conn`, a `node:tls` server socket after STARTTLS, or an
 * in-memory pair for tests.
 *
 * @module
 */

/** TLS details of a secured transport (for Received: headers and logs). */
export interface TlsInfo {
  /** e.g. "TLSv1.3" */
  protocol: string;
  /** e.g. "TLS_AES_256_GCM_SHA384" */
  cipher: string;
  /** SNI name the client asked for, if any. */
  servername?: string;
}

/** One client connection. */
export interface Transport {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /** True once TLS is active (implicit TLS or after upgradeTls). */
  readonly secure: boolean;
  readonly tlsInfo: TlsInfo | null;
  /** The next chunk of bytes, or null at end of stream. Never called concurrently. */
  read(): Promise<Uint8Array | null>;
  /** Writes all bytes (strings are UTF-8). Resolves when handed to the OS. */
  write(data: Uint8Array | string): Promise<void>;
  /**
   * Server-side STARTTLS: performs the TLS handshake over the connection and switches read/write
   * to the encrypted stream. The caller must discard any plaintext it had buffered (RFC 3207 §4.2).
   */
  upgradeTls(): Promise<void>;
  /** Closes the connection; idempotent. Pending reads resolve with null. */
  close(): void;
  /** Resolves when the connection is closed from either side. */
  readonly closed: Promise<void>;
}
