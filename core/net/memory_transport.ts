/**
 * An in-memory, connected pair of transports for unit tests of protocol sessions: bytes written on
 * one side are read on the other. `upgradeTls()` only marks both sides secure (no real TLS): wire
 * tests over real sockets cover TLS itself.
 *
 * @module
 */
import type { TlsInfo, Transport } from "./transport.ts";

const encoder = new TextEncoder();

/** One direction of the pair: a queue of chunks with a waiting reader. */
class Pipe {
  #chunks: Uint8Array[] = [];
  #waiter: ((chunk: Uint8Array | null) => void) | null = null;
  #closed = false;

  push(chunk: Uint8Array): void {
    if (this.#closed) return;
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = null;
      w(chunk);
    } else {
      this.#chunks.push(chunk);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = null;
      w(null);
    }
  }

  read(): Promise<Uint8Array | null> {
    const chunk = this.#chunks.shift();
    if (chunk) return Promise.resolve(chunk);
    if (this.#closed) return Promise.resolve(null);
    return new Promise((resolve) => (this.#waiter = resolve));
  }
}

/** A transport end backed by two pipes. */
class MemoryTransport implements Transport {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  secure = false;
  tlsInfo: TlsInfo | null = null;
  readonly closed: Promise<void>;
  #in: Pipe;
  #out: Pipe;
  #resolveClosed!: () => void;
  #isClosed = false;
  peer: MemoryTransport | null = null;

  constructor(input: Pipe, output: Pipe, local: [string, number], remote: [string, number]) {
    this.#in = input;
    this.#out = output;
    [this.localAddress, this.localPort] = local;
    [this.remoteAddress, this.remotePort] = remote;
    this.closed = new Promise((r) => (this.#resolveClosed = r));
  }

  read(): Promise<Uint8Array | null> {
    return this.#in.read();
  }

  write(data: Uint8Array | string): Promise<void> {
    if (this.#isClosed) return Promise.reject(new Error("Transport is closed"));
    const bytes = typeof data === "string" ? encoder.encode(data) : data.slice();
    this.#out.push(bytes);
    return Promise.resolve();
  }

  upgradeTls(): Promise<void> {
    for (const t of [this, this.peer]) {
      if (!t) continue;
      t.secure = true;
      t.tlsInfo = { protocol: "TLSv1.3", cipher: "MEMORY" };
    }
    return Promise.resolve();
  }

  close(): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#out.close();
    this.#in.close();
    this.#resolveClosed();
    this.peer?.close();
  }
}

/**
 * Creates a connected pair: `[server, client]`. The server side sees the client at
 * 127.0.0.1:40000 (or the given address) and itself at 127.0.0.1:25.
 */
export function createMemoryTransportPair(
  opts: { clientAddress?: string; clientPort?: number; serverPort?: number } = {},
): [Transport, Transport] {
  const toServer = new Pipe();
  const toClient = new Pipe();
  const clientAddr: [string, number] = [opts.clientAddress ?? "127.0.0.1", opts.clientPort ?? 40000];
  const serverAddr: [string, number] = ["127.0.0.1", opts.serverPort ?? 25];
  const server = new MemoryTransport(toServer, toClient, serverAddr, clientAddr);
  const client = new MemoryTransport(toClient, toServer, clientAddr, serverAddr);
  server.peer = client;
  client.peer = server;
  return [server, client];
}
