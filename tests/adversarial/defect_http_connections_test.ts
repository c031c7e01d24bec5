/**
 * Defect 1 of the hardening issue: the HTTP listener had no connection bounds. 3,000 connections
 * from one IP that had each sent one byte all stayed open, a connection that sent nothing stayed
 * open past 40 s, and 560 EventSource streams from one IP were accepted, because `max_connections`
 * and `max_connections_per_ip` counted requests, not connections. Now the HTTP listener counts TCP
 * connections, a request head must arrive within `http.header_timeout`, an idle keep-alive
 * connection is closed after `http.keep_alive_timeout`, and push streams are capped per account
 * and per IP (`jmap.max_streams_per_account`, `jmap.max_streams_per_ip`).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startAttackEnv } from "./_env.ts";
import { LineClient } from "../support/line_client.ts";

/** Reads a raw HTTP response head (status line and fields) and its body (up to EOF). */
async function response(c: LineClient): Promise<{ status: string; fields: string[]; body: string }> {
  const status = await c.read();
  assert.ok(status !== null, "a response before the close");
  const fields: string[] = [];
  for (;;) {
    const l = await c.read();
    if (l === null || l === "") break;
    fields.push(l.toLowerCase());
  }
  const body = (await c.readAll()).join("\n");
  return { status, fields, body };
}

Deno.test("defect: HTTP connections beyond policy.max_connections_per_ip get 429 and are closed", async () => {
  const env = await startAttackEnv({ policy: { max_connections_per_ip: 5 }, http: { header_timeout: 30 } });
  try {
    const held: LineClient[] = [];
    for (let i = 0; i < 5; i++) {
      const c = await LineClient.connect(env.port("http"));
      await c.send("G");
      held.push(c);
    }
    // Whether the client sent anything or not, the sixth connection is refused at once.
    const sixth = await LineClient.connect(env.port("http"));
    const r = await response(sixth);
    assert.equal(r.status, "HTTP/1.1 429 Too Many Requests");
    assert.ok(r.fields.includes("connection: close"));
    assert.ok(r.fields.includes("content-type: application/problem+json"));
    const problem = JSON.parse(r.body);
    assert.equal(problem.status, 429);
    assert.match(problem.detail, /connections from your address/);
    sixth.close();
    for (const c of held) c.close();
  } finally {
    await env.close();
  }
});

Deno.test("defect: HTTP connections beyond listeners.http.max_connections get 503 and are closed", async () => {
  const env = await startAttackEnv({
    listeners: { http: { max_connections: 3 } },
    http: { header_timeout: 30 },
  });
  try {
    const held = await Promise.all([0, 1, 2].map(() => LineClient.connect(env.port("http"))));
    const fourth = await LineClient.connect(env.port("http"));
    const r = await response(fourth);
    assert.equal(r.status, "HTTP/1.1 503 Service Unavailable");
    assert.ok(r.fields.includes("connection: close"));
    assert.equal(JSON.parse(r.body).status, 503);
    fourth.close();
    for (const c of held) c.close();
  } finally {
    await env.close();
  }
});

Deno.test("defect: an HTTP request head not complete within http.header_timeout gets 408 and a close", async () => {
  const env = await startAttackEnv({ policy: { max_connections_per_ip: 5 }, http: { header_timeout: 1 } });
  try {
    // One sent a byte, one sent nothing at all: both are closed (each read is bounded: 10 s).
    const partial = await LineClient.connect(env.port("http"));
    await partial.send("G");
    const silent = await LineClient.connect(env.port("http"));
    for (const c of [partial, silent]) {
      const r = await response(c);
      assert.equal(r.status, "HTTP/1.1 408 Request Timeout");
      assert.ok(r.fields.includes("connection: close"));
      c.close();
    }
    // Their slots are free again: five new connections are accepted and served.
    const again = await Promise.all([0, 1, 2, 3, 4].map(() => LineClient.connect(env.port("http"))));
    for (const c of again) {
      await c.send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assert.equal((await response(c)).status, "HTTP/1.1 200 OK");
      c.close();
    }
    await env.assertHealthy();
  } finally {
    await env.close();
  }
});

Deno.test("defect: an idle keep-alive HTTP connection is closed after http.keep_alive_timeout", async () => {
  const env = await startAttackEnv({ http: { keep_alive_timeout: 1, header_timeout: 30 } });
  try {
    const c = await LineClient.connect(env.port("http"));
    await c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.equal(await c.read(), "HTTP/1.1 200 OK");
    // The rest of the response, then the server's close (each read is bounded: 10 s).
    for (;;) if ((await c.read()) === "") break;
    const rest = await c.readAll();
    assert.ok(rest.includes('{"status":"ok"}'), JSON.stringify(rest));
    c.close();
    await env.assertHealthy();
  } finally {
    await env.close();
  }
});

Deno.test("defect: EventSource streams are capped per account and per IP (429 limit problem)", async () => {
  const env = await startAttackEnv({ jmap: { max_streams_per_account: 2, max_streams_per_ip: 3 } });
  const open: Response[] = [];
  try {
    const stream = (who: "alice" | "bob") =>
      fetch(`${env.http}/jmap/eventsource?types=*&closeafter=no&ping=0`, {
        headers: { authorization: env.basic(who) },
      });
    for (const who of ["alice", "alice"] as const) {
      const r = await stream(who);
      assert.equal(r.status, 200);
      open.push(r);
    }
    const third = await stream("alice");
    assert.equal(third.status, 429);
    const p1 = await third.json();
    assert.equal(p1.type, "urn:ietf:params:jmap:error:limit");
    assert.equal(p1.limit, "maxStreamsPerAccount");
    const bob = await stream("bob");
    assert.equal(bob.status, 200);
    open.push(bob);
    const fourth = await stream("bob");
    assert.equal(fourth.status, 429);
    assert.equal((await fourth.json()).limit, "maxStreamsPerIp");
    // Ending a stream frees its slot.
    await open.shift()!.body!.cancel();
    const reopened = await waitAccepted(() => stream("alice"));
    open.push(reopened);
  } finally {
    for (const r of open) await r.body?.cancel().catch(() => {});
  }
  try {
    await env.assertHealthy();
  } finally {
    await env.close();
  }
});

/**
 * The server learns of a cancelled stream when the connection closes, an event the client cannot
 * observe: retry a bounded number of times, each attempt answered at once (200 or 429).
 */
async function waitAccepted(open: () => Promise<Response>): Promise<Response> {
  for (let i = 0; i < 500; i++) {
    const r = await open();
    if (r.status === 200) return r;
    await r.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("the stream slot was never released");
}

Deno.test("defect: over HTTPS, a silent connection gets 408 after the handshake and extra ones are closed unserved", async () => {
  const env = await startAttackEnv({
    listeners: { http: { tls: "implicit" } },
    policy: { max_connections_per_ip: 2 },
    // Long enough that the held connections are still open when the third one arrives.
    http: { header_timeout: 3 },
  });
  try {
    const caCerts = [await Deno.readTextFile(join(env.t.dir, "tls", "cert.pem"))];
    const port = env.port("http");
    const silent = await Deno.connectTls({ hostname: "localhost", port, caCerts });
    await silent.handshake();
    const held = await Deno.connect({ hostname: "127.0.0.1", port });
    // The third connection from the address is closed before any TLS handshake.
    const third = await Deno.connect({ hostname: "127.0.0.1", port });
    assert.equal(await third.read(new Uint8Array(16)), null);
    third.close();
    // The silent TLS client hears 408 (inside TLS) when http.header_timeout is over.
    let text = "";
    const buf = new Uint8Array(4096);
    for (;;) {
      const n = await silent.read(buf).catch(() => null);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    assert.match(text, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    silent.close();
    held.close();
  } finally {
    await env.close();
  }
});
