/**
 * The JMAP API reads a request body over the wire exactly as sent, with a Content-Length (read in
 * one go) or chunked (read through the bounded reader), and refuses one over maxSizeRequest either
 * way (RFC 8620 §3.6.1 limit). curl is the client.
 *
 * @module
 */
import assert from "node:assert/strict";
import { startTestServer, type TestServer } from "../support/server.ts";
import { createToken } from "../../core/jmap/tokens.ts";

const MAX = 4_000;

/** POSTs `body` to the API with curl (chunked when asked); returns the status and parsed answer. */
async function post(t: TestServer, token: string, body: string, chunked: boolean) {
  const out = await new Deno.Command("curl", {
    args: [
      "-sS",
      "-H",
      `authorization: Bearer ${token}`,
      "-H",
      "content-type: application/json",
      ...(chunked ? ["-H", "transfer-encoding: chunked"] : []),
      "--data-binary",
      "@-",
      "-w",
      "\n%{http_code}",
      `http://127.0.0.1:${t.port("http")}/jmap/api`,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = out.stdin.getWriter();
  await writer.write(new TextEncoder().encode(body));
  await writer.close();
  const { code, stdout, stderr } = await out.output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const text = new TextDecoder().decode(stdout);
  const cut = text.lastIndexOf("\n");
  return { status: Number(text.slice(cut + 1)), json: JSON.parse(text.slice(0, cut)) };
}

Deno.test("JMAP API over the wire: bodies with a length or chunked arrive whole; either way over maxSizeRequest is a limit error", async () => {
  const t = await startTestServer({ jmap: { max_size_request: MAX } });
  try {
    await t.addUser("alice@example.org", "pw");
    const { token } = await createToken(t.srv.context.store, "alice@example.org", "test");
    const echo = (pad: string) =>
      JSON.stringify({ using: ["urn:ietf:params:jmap:core"], methodCalls: [["Core/echo", { pad }, "e"]] });
    // Non-ASCII text and a body right at the limit: every byte arrives.
    const pad = "é€😀 ".repeat(200);
    let body = echo(pad);
    body = echo(pad + "x".repeat(MAX - new TextEncoder().encode(body).length));
    assert.equal(new TextEncoder().encode(body).length, MAX);
    for (const chunked of [false, true]) {
      const ok = await post(t, token, body, chunked);
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.json.methodResponses, [["Core/echo", JSON.parse(body).methodCalls[0][1], "e"]]);
      const over = await post(t, token, echo(pad + "x".repeat(MAX)), chunked);
      assert.equal(over.json.type, "urn:ietf:params:jmap:error:limit", `chunked: ${chunked}`);
      assert.equal(over.json.limit, "maxSizeRequest");
    }
  } finally {
    await t.close();
  }
});
