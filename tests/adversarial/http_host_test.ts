/**
 * A Host header field that makes no valid URI (found by the wire fuzzer: `Host: !27.0.0. Bearer !`)
 * is refused with 400 by the HTTP listener instead of failing the request with a 500 and an
 * error-level log line; the server goes on serving.
 */
import assert from "node:assert/strict";
import { startAttackEnv } from "./_env.ts";
import { WireConn } from "../fuzz/_wire.ts";

for (const path of ["/jmap/session", "/jmap/upload/a1/", "/health"]) {
  Deno.test(`HTTP: an invalid Host on ${path} gets 400, logs no error, and the server still serves`, async () => {
    const env = await startAttackEnv();
    try {
      const c = await WireConn.open(env.port("http"));
      c.discard(true);
      await c.write(
        new TextEncoder().encode(
          `GET ${path} HTTP/1.1\r\nHost: !27.0.0. Bearer !\r\nAuthorization: ${env.basic("alice")}\r\n` +
            "Connection: close\r\n\r\n",
        ),
      );
      assert.equal(await c.finish(), true);
      assert.match(c.transcript(), /^HTTP\/1\.1 400 /);
      assert.match(c.transcript(), /"detail":"Invalid Host header field"/);
      await env.assertHealthy();
    } finally {
      await env.close();
    }
  });
}
