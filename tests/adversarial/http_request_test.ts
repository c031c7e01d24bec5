/**
 * Malformed HTTP requests found by the wire fuzzer are the client's error, never a 500 or an
 * error-level log line, and the server goes on serving: a Host header field that makes no valid URI
 * (`Host: !27.0.0. Bearer !`), a request body that cannot be read (bad chunked framing, a client
 * that goes away mid-body: 400 from the JMAP app), a download name with a malformed %-escape.
 */
import assert from "node:assert/strict";
import { type AttackEnv, startAttackEnv } from "./_env.ts";
import { WireConn } from "../fuzz/_wire.ts";
import { completeResponse } from "../fuzz/_http.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Sends raw request bytes; returns the response (its head at least), or "" if the server closed. */
async function exchange(env: AttackEnv, request: string): Promise<string> {
  const c = await WireConn.open(env.port("http"));
  try {
    c.discard(true);
    await c.write(enc.encode(request));
    // A response without a length ends at the close; its head is enough here.
    const headOnly = (b: Uint8Array) =>
      !/content-length|transfer-encoding/i.test(dec.decode(b)) && dec.decode(b).includes("\r\n\r\n");
    assert.equal(await c.waitFor((b) => completeResponse(b) || headOnly(b)), true);
    return c.transcript();
  } finally {
    c.close();
  }
}

for (const path of ["/jmap/session", "/jmap/upload/a1/", "/health"]) {
  Deno.test(`HTTP: an invalid Host on ${path} is no 5xx and logs no error; the server still serves`, async () => {
    const env = await startAttackEnv();
    try {
      const reply = await exchange(
        env,
        `GET ${path} HTTP/1.1\r\nHost: !27.0.0. Bearer !\r\nAuthorization: ${env.basic("alice")}\r\n` +
          "Connection: close\r\n\r\n",
      );
      // The listener answers with its own authority (core/net/node_http_adapter.ts) or a 400.
      assert.match(reply, /^HTTP\/1\.1 [234]\d\d /);
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
    // The HTTP parser's bare 400, or the app's problem JSON when its body reader hit the error.
    if (reply !== "") assert.match(reply, /^HTTP\/1\.1 400 /);
    if (reply.includes("{")) assert.match(reply, /"detail":"The request body could not be read\."/);
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

Deno.test("JMAP download: a malformed %-escape in the name is served as is, an escape is decoded once", async () => {
  const env = await startAttackEnv();
  try {
    const session =
      await (await fetch(`${env.http}/jmap/session`, { headers: { authorization: env.basic("alice") } }))
        .json() as { primaryAccounts: Record<string, string> };
    const accountId = session.primaryAccounts["urn:ietf:params:jmap:mail"]!;
    const up = await (await fetch(`${env.http}/jmap/upload/${accountId}/`, {
      method: "POST",
      headers: { authorization: env.basic("alice"), "content-type": "text/plain" },
      body: "hello",
    })).json() as { blobId: string };
    for (const [name, filename] of [["m.%ml", "m.%ml"], ["a%2541.txt", "a%41.txt"]] as const) {
      const r = await fetch(`${env.http}/jmap/download/${accountId}/${up.blobId}/${name}`, {
        headers: { authorization: env.basic("alice") },
      });
      assert.equal(r.status, 200, name);
      assert.equal(await r.text(), "hello");
      assert.match(
        r.headers.get("content-disposition") ?? "",
        new RegExp(`filename="${filename.replace(".", "\\.")}"`),
      );
    }
    await env.assertHealthy();
  } finally {
    await env.close();
  }
});

// RFC 9112 §3.2.1: origin-form is an absolute path, and "//" or "//x" is one (empty segments).
// Resolving it as a URL reference reads it as a network path ("//host"), which failed with an
// error-level log line (found by the fuzzer's long pass, seed 4242).
for (const target of ["//", "//x/y?z", "/a//b"]) {
  Deno.test(`HTTP: the request target ${target} is a path: answered without 5xx or an error log`, async () => {
    const env = await startAttackEnv();
    try {
      const reply = await exchange(
        env,
        `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
      );
      assert.match(reply, /^HTTP\/1\.1 [234]\d\d /);
      await env.assertHealthy();
    } finally {
      await env.close();
    }
  });
}
