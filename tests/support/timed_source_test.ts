/**
 * The raw test clients give up on a silent server (instead of hanging the suite) and say what
 * they last received.
 */
import assert from "node:assert/strict";
import { LineClient } from "./line_client.ts";
import { RawImap } from "../imap/_imap_client.ts";
import { ReadTimeoutError } from "./timed_source.ts";
import { readUntil } from "../runtime/_tls_helpers.ts";

/** A server that writes `greeting` to each connection, then never says anything again. */
function silentServer(greeting: string): { port: number; close(): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      await conn.write(new TextEncoder().encode(greeting));
    }
  })();
  return {
    port: listener.addr.port,
    async close() {
      listener.close();
      for (const c of conns) c.close();
      await accepting.catch(() => {});
    },
  };
}

Deno.test("LineClient: a read from a silent server throws after the timeout, naming the last bytes", async () => {
  const srv = silentServer("220 half a greeting\r\n250-partial");
  const c = await LineClient.connect(srv.port, { readTimeoutMs: 200 });
  try {
    assert.equal(await c.read(), "220 half a greeting");
    await assert.rejects(c.read(), (e: unknown) => {
      assert.ok(e instanceof ReadTimeoutError, String(e));
      assert.match(e.message, /within 200 ms/);
      assert.match(e.message, /250-partial/);
      return true;
    });
  } finally {
    c.close();
    await srv.close();
  }
});

Deno.test("LineClient: a per-call timeout overrides the client's", async () => {
  const srv = silentServer("+OK hi\r\n");
  const c = await LineClient.connect(srv.port); // default 10 s
  try {
    assert.equal(await c.read(), "+OK hi");
    await assert.rejects(c.readUntil(".", 150), /within 150 ms/);
  } finally {
    c.close();
    await srv.close();
  }
});

Deno.test("RawImap: a command whose tagged reply never comes throws after the timeout", async () => {
  const srv = silentServer("* OK ready\r\n");
  const c = await RawImap.connect(srv.port, { readTimeoutMs: 200 });
  try {
    assert.equal(c.greeting, "* OK ready");
    await assert.rejects(c.cmd("NOOP"), (e: unknown) => {
      assert.ok(e instanceof ReadTimeoutError, String(e));
      assert.match(e.message, /\* OK ready/);
      return true;
    });
  } finally {
    c.close();
    await srv.close();
  }
});

Deno.test("readUntil: waiting for text a silent server never sends throws after the timeout", async () => {
  const srv = silentServer("220 ready\r\n");
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: srv.port });
  try {
    await assert.rejects(readUntil(conn, "250 ", 200), /within 200 ms; last received: "220 ready\\r\\n"/);
  } finally {
    conn.close();
    await srv.close();
  }
});
