/**
 * HTTP persistent connections on the JMAP listener (RFC 9112 §9.3): a client that sends several
 * requests over one connection gets each answered on it. The listener's engine used to close the
 * connection after every response while announcing `Connection: keep-alive`, so each request cost
 * a new TCP connection, and a client reusing the connection meanwhile got a reset (curl retries;
 * Deno's fetch failed the request). curl reports how many connections each transfer opened.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startTestServer, type TestServer } from "../support/server.ts";
import { createToken } from "../../core/jmap/tokens.ts";

const USING = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"];

/** Runs curl with three JMAP API requests in one invocation; returns "connects status" per transfer. */
async function threeRequests(t: TestServer, scheme: "http" | "https", extra: string[]): Promise<string[]> {
  await t.addUser("alice@example.org", "pw");
  const { token, accountId } = await createToken(t.srv.context.store, "alice@example.org", "test");
  const url = `${scheme}://localhost:${t.port("http")}/jmap/api`;
  const body = JSON.stringify({ using: USING, methodCalls: [["Mailbox/get", { accountId }, "m"]] });
  // Each transfer after `--next` has its own options; curl keeps its connections across them.
  const transfer = [
    "-sS",
    ...extra,
    "-H",
    `authorization: Bearer ${token}`,
    "-H",
    "content-type: application/json",
    "--data-binary",
    body,
    "-o",
    "/dev/null",
    "-w",
    "%{num_connects} %{http_code}\\n",
    url,
  ];
  const out = await new Deno.Command("curl", {
    args: [...transfer, "--next", ...transfer, "--next", ...transfer],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim().split("\n");
}

Deno.test("HTTP keep-alive: three JMAP requests from curl share one connection", async () => {
  const t = await startTestServer();
  try {
    // One connection opened by the first transfer; the next two reuse it (0 new connections).
    assert.deepEqual(await threeRequests(t, "http", []), ["1 200", "0 200", "0 200"]);
  } finally {
    await t.close();
  }
});

Deno.test("HTTPS keep-alive: three JMAP requests from curl share one TLS connection", async () => {
  const t = await startTestServer({ listeners: { http: { tls: "implicit" } } });
  try {
    const ca = ["--cacert", join(t.dir, "tls", "cert.pem")];
    assert.deepEqual(await threeRequests(t, "https", ca), ["1 200", "0 200", "0 200"]);
  } finally {
    await t.close();
  }
});

Deno.test("HTTP: a JMAP API answer is sent whole with its Content-Length, not chunked", async () => {
  const t = await startTestServer();
  try {
    await t.addUser("alice@example.org", "pw");
    const { token, accountId } = await createToken(t.srv.context.store, "alice@example.org", "test");
    const res = await fetch(`http://127.0.0.1:${t.port("http")}/jmap/api`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ using: USING, methodCalls: [["Mailbox/get", { accountId }, "m"]] }),
    });
    const bytes = new Uint8Array(await res.arrayBuffer());
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-length"), String(bytes.length));
    assert.equal(res.headers.get("transfer-encoding"), null);
    assert.equal(JSON.parse(new TextDecoder().decode(bytes)).methodResponses[0][0], "Mailbox/get");
    // A problem document (application/problem+json) too.
    const refused = await fetch(`http://127.0.0.1:${t.port("http")}/jmap/api`, {
      method: "POST",
      body: "{}",
    });
    const problem = new Uint8Array(await refused.arrayBuffer());
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get("content-length"), String(problem.length));
    assert.equal(JSON.parse(new TextDecoder().decode(problem)).status, 401);
  } finally {
    await t.close();
  }
});
