/**
 * A single huge header value cannot pin the server (found by the wire fuzzer): a message whose
 * Content-Type value is 1 MB of `<` (no `;`) took many minutes of CPU in `parseContentValue`,
 * which re-trimmed the growing value for every character, and blocked every other session on the
 * event loop. The server runs as a child process (`tern serve`) so that such a stall fails this
 * test through the raw client's read timeout instead of freezing the test itself; now the message
 * is delivered at once and another session is served.
 */
import assert from "node:assert/strict";
import { readTagged, smtpCmd, smtpReply } from "./_env.ts";
import { prepareDataDir, serve } from "./_serve.ts";
import { LineClient } from "../support/line_client.ts";

const PASSWORD = "long-header-pw";

async function deliver(port: number, header: string): Promise<string> {
  const c = await LineClient.connect(port);
  try {
    await smtpReply(c);
    await smtpCmd(c, "EHLO big.example.net");
    assert.match(await smtpCmd(c, "MAIL FROM:<big@example.net>"), /^250 /);
    assert.match(await smtpCmd(c, "RCPT TO:<ada@example.com>"), /^250 /);
    assert.match(await smtpCmd(c, "DATA"), /^354 /);
    // Read while writing: a stalled server stops reading, and only the read is bounded.
    const writing = c.line(`From: big@example.net\r\nSubject: big\r\n${header}\r\n\r\nbody\r\n.`).catch(
      () => {},
    );
    const reply = (await smtpReply(c)).at(-1)!;
    await writing;
    return reply;
  } finally {
    c.close();
  }
}

Deno.test("messages with 1 MB Content-Type / Content-Disposition values are delivered and the server keeps serving", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-long-header-" });
  try {
    await prepareDataDir(dir, "ada@example.com", PASSWORD);
    const server = await serve(dir);
    try {
      for (
        const header of [
          `Content-Type: text/pl${"<".repeat(1_000_000)}ain; charset=utf-8`,
          `Content-Disposition: attachment${" x".repeat(500_000)}`,
        ]
      ) {
        assert.match(await deliver(server.ports.smtp!, header), /^250 /);
      }
      const c = await LineClient.connect(server.ports.imap!);
      try {
        await c.read();
        await c.line(`l LOGIN ada@example.com ${PASSWORD}`);
        assert.match((await readTagged(c, "l")).at(-1)!, /^l OK /);
        await c.line("s STATUS INBOX (MESSAGES)");
        assert.deepEqual(await readTagged(c, "s"), ["* STATUS INBOX (MESSAGES 2)", "s OK STATUS completed"]);
      } finally {
        c.close();
      }
    } finally {
      // SIGKILL: a stalled server would not run its SIGTERM handler.
      server.child.kill("SIGKILL");
      await server.child.status;
      await server.drained;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
