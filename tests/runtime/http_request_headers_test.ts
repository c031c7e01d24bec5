/**
 * The request the HTTP engine (core/net/https_server.ts, core/net/node_http_adapter.ts) hands the
 * app carries the request's header fields as sent: repeated fields in order (combined as Fetch
 * combines them), names case-insensitive, values trimmed, obs-text bytes kept as they came. Raw
 * bytes over TCP, so nothing normalises the request on the way.
 */
import assert from "node:assert/strict";
import { NodeHttpServer } from "../../core/net/https_server.ts";
import { nullLogger } from "../../core/log/logger.ts";
import type { ListenerConfig } from "../../core/config/types.ts";

const CONFIG: ListenerConfig = {
  enabled: true,
  address: "127.0.0.1",
  port: 0,
  tls: "none",
  allow_plaintext_auth: true,
  max_connections: 10,
  allow_networks: [],
  block_networks: [],
  time_windows: [],
};

/** A server whose app answers with the request's headers and body as JSON. */
async function echoServer(): Promise<{ server: NodeHttpServer; port: number }> {
  const server = new NodeHttpServer({
    config: CONFIG,
    tls: null,
    limits: () => ({ maxConnections: 10, maxPerAddress: 0 }),
    timeouts: () => ({ headerMs: 10_000, keepAliveMs: 10_000 }),
    log: nullLogger,
    async handle(request) {
      const body = request.body ? await request.text() : null;
      return Response.json({ headers: [...request.headers], body, url: request.url });
    },
  });
  const { port } = await server.listen();
  return { server, port };
}

/** Sends `head` + `body` as raw bytes and reads the response to the connection's close. */
async function exchange(port: number, bytes: Uint8Array): Promise<{ status: number; json: unknown }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(bytes);
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
    const text = new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
    const status = Number(text.slice(9, 12));
    const body = text.slice(text.indexOf("\r\n\r\n") + 4);
    return { status, json: JSON.parse(body) };
  } finally {
    conn.close();
  }
}

Deno.test("HTTP engine: the app sees every header field as sent, repeated fields combined in order", async () => {
  const { server, port } = await echoServer();
  try {
    const body = '{"using":[]}';
    const head =
      "POST /jmap/api?x=1 HTTP/1.1\r\nHost: mail.example:8080\r\nAuthorization: Bearer tern_abc\r\n" +
      "Accept: text/plain\r\nX-Multi: one\r\nContent-Type: application/json\r\nx-multi:   two  \r\n" +
      `Accept: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    const { status, json } = await exchange(port, new TextEncoder().encode(head + body));
    assert.equal(status, 200);
    const seen = json as { headers: [string, string][]; body: string; url: string };
    assert.deepEqual(
      new Map(seen.headers),
      new Map([
        ["accept", "text/plain, application/json"],
        ["authorization", "Bearer tern_abc"],
        ["connection", "close"],
        ["content-length", String(body.length)],
        ["content-type", "application/json"],
        ["host", "mail.example:8080"],
        ["x-multi", "one, two"],
      ]),
    );
    assert.equal(seen.body, body);
    assert.equal(seen.url, "http://mail.example:8080/jmap/api?x=1");
  } finally {
    await server.close(() => Promise.resolve());
  }
});

Deno.test("HTTP engine: obs-text bytes of a field value (RFC 9110 §5.5) reach the app one character per byte", async () => {
  const { server, port } = await echoServer();
  try {
    // "€" sent as its UTF-8 bytes E2 82 AC: a byte string of three characters, not dropped.
    const head = new TextEncoder().encode(
      "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Euro: 5 \u20ac\r\nX-Ok: yes\r\nConnection: close\r\n\r\n",
    );
    const { status, json } = await exchange(port, head);
    assert.equal(status, 200);
    const headers = new Map((json as { headers: [string, string][] }).headers);
    assert.equal(headers.get("x-euro"), "5 \u00e2\u0082\u00ac");
    assert.equal(headers.get("x-ok"), "yes");
  } finally {
    await server.close(() => Promise.resolve());
  }
});
