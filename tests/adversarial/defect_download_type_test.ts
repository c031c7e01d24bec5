/**
 * Defect 6 of the hardening issue: the download URL's `accept` (type, RFC 8620 §6.2) with CR, LF or
 * NUL reached the Content-Type header and the request failed with HTTP 500 ("Invalid header
 * value"). It must be a 400 problem, and the server goes on serving.
 *
 * @module
 */
import assert from "node:assert/strict";
import { startAttackEnv } from "./_env.ts";

Deno.test("defect: a download type with CR, LF or NUL is answered 400 with a problem, never 500", async () => {
  const env = await startAttackEnv();
  try {
    const up = await fetch(`${env.http}/jmap/upload/${env.alice.id}/`, {
      method: "POST",
      headers: { authorization: env.basic("alice"), "content-type": "text/plain" },
      body: "hello",
    });
    assert.equal(up.status, 201);
    const { blobId } = await up.json() as { blobId: string };
    const url = `${env.http}/jmap/download/${env.alice.id}/${blobId}/a.txt`;
    for (const bad of ["text/plain%0D%0AX-Injected:%201", "text/plain%0A", "text/plain%00", "%0D%0A"]) {
      const out = await curl([
        "-sS",
        "-u",
        "alice@example.org:alice-Pw-1",
        "-D",
        "-",
        `${url}?accept=${bad}`,
      ]);
      const [head, body] = out.split("\r\n\r\n", 2) as [string, string];
      assert.match(head, /^HTTP\/1\.1 400 /, `${bad}: ${head}`);
      assert.match(head, /\r\ncontent-type: application\/problem\+json/i);
      assert.doesNotMatch(head, /x-injected/i);
      const problem = JSON.parse(body);
      assert.equal(problem.status, 400);
      assert.match(problem.detail, /media type/);
    }
    // A valid type is still honoured.
    const good = await fetch(`${url}?accept=text/plain;%20charset=utf-8`, {
      headers: { authorization: env.basic("alice") },
    });
    assert.equal(good.status, 200);
    assert.equal(good.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(await good.text(), "hello");
    await env.assertHealthy();
  } finally {
    await env.close();
  }
});

async function curl(args: string[]): Promise<string> {
  const out = await new Deno.Command("curl", { args, stdout: "piped", stderr: "piped" }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}
