/**
 * Test helpers: an in-memory certificate source and a pair of connected Deno TCP connections.
 *
 * @module
 */
import { createSecureContext } from "node:tls";
import { generateSelfSigned } from "../../core/tls/self_signed.ts";
import type { TlsMaterial, TlsSource } from "../../core/tls/provider.ts";
import { readWithTimeout } from "../support/timed_source.ts";

let cached: Promise<TlsMaterial> | null = null;

/** A self-signed certificate for localhost (generated once per test process). */
export function testMaterial(): Promise<TlsMaterial> {
  cached ??= generateSelfSigned("localhost", new Date());
  return cached;
}

/** A `TlsSource` over the test certificate. */
export async function testTlsSource(): Promise<TlsSource> {
  const material = await testMaterial();
  const context = createSecureContext({ cert: material.cert, key: material.key });
  return { secureContext: () => context, material: () => material };
}

/** A connected client/server pair of plain TCP connections on 127.0.0.1. */
export async function tcpPair(): Promise<{ client: Deno.TcpConn; server: Deno.TcpConn }> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const [server, client] = await Promise.all([
      listener.accept(),
      Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    ]);
    return { client, server: server as Deno.TcpConn };
  } finally {
    listener.close();
  }
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * Reads from a client connection until `want` appears in the received text; returns all of it.
 * Each read waits at most `timeoutMs` (default 10 s), then throws with the text received so far.
 */
export async function readUntil(conn: Deno.Conn, want: string, timeoutMs?: number): Promise<string> {
  const buf = new Uint8Array(4096);
  let text = "";
  while (!text.includes(want)) {
    const n = await readWithTimeout(conn, buf, () => text, timeoutMs);
    if (n === null) break;
    text += dec.decode(buf.subarray(0, n));
  }
  return text;
}

/** Writes a string to a connection. */
export async function send(conn: Deno.Conn, text: string): Promise<void> {
  const bytes = enc.encode(text);
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}
