/**
 * Malformed HTTP requests found by the wire fuzzer are the client's error: a Host header field that
 * makes no valid URI (`Host: !27.0.0. Bearer !`) gets 400 from the listener, a request body that
 * cannot be read (bad chunked framing, a client that goes away mid-body) gets 400 from the JMAP
 * app; neither is a 500 or an error-level log line, and the server goes on serving.
 */
import assert from "node:assert/strict";
import { type AttackEnv, startAttackEnv } from "./_env.ts";
import { WireConn } from "../fuzz/_wire.ts";
import { completeResponse } from "../fuzz/_http.ts";

const enc = new TextEncoder();

/** Sends raw request bytes; returns the response, or "" if the server closed without one. */
async function exchange(env: AttackEnv, request: string): Promise<string> {
  const c = await WireConn.open(env.port("http"));
  try {
    c.discard(true);
    await c.write(enc.encode(request));
    assert.equal(await c.waitFor(completeResponse), true);
    return c.transcript();
  } finally {
    c.close();
  }
}

for (const path of ["/jmap/session", "/jmap/upload/a1/", "/health"]) {
  Deno.test(`HTTP: an invalid Host on ${path} gets 400, logs no error, and the server still serves`, async () => {
    const env = await startAttackEnv();
    try {
      const reply = await exchange(
        env,
        `GET ${path} HTTP/1.1\r\nHost: !27.0.0. Bearer !\r\nAuthorization: ${env.basic("alice")}\r\n` +
          "Connection: close\r\n\r\n",
      );
      assert.match(reply, /^HTTP\/1\.1 400 /);
      assert.match(reply, /"detail":"Invalid Host header field"/);
      await env.assertHealthy();
    } finally {
      await env.close();
    }
  });
}

Deno.test("JMAP: a request body with broken chunked framing gets 400, logs no error, and the server still serves", async () => {
  const env = await startAttackEnv();
  try {
    const reply = await exchange(
      env,
      `POST /jmap/api HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${env.basic("alice")}\r\n` +
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
        '{"using":[]}\r\n0\r\n\r\n',
    );
    // Deno may close the connection before the app's 400 is written: a clean close counts too.
    if (reply !== "") {
      assert.match(reply, /^HTTP\/1\.1 400 [^]*"detail":"The request body could not be read\."/);
    }
    await env.assertHealthy();
  } finally {
    await env.close();
  }
});

Deno.test("JMAP: a client that goes away mid-body causes no error-level log line", async () => {
  const env = await startAttackEnv();
  try {
    const c = await WireConn.open(env.port("http"));
    await c.write(enc.encode(
      `POST /jmap/upload/a1/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${env.basic("alice")}\r\n` +
        "Content-Type: text/plain\r\nContent-Length: 1000\r\n\r\nonly the first bytes",
    ));
    // The request is in the app (reading the body) once the server's session counter shows it.
    while (env.t.srv.activeSessions() === 0) await new Promise((r) => setTimeout(r, 5));
    c.close();
    while (env.t.srv.activeSessions() > 0) await new Promise((r) => setTimeout(r, 5));
    await env.assertHealthy();
  } finally {
    await env.close();
  }
});
