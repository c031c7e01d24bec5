/**
 * BDAT chunk sizes (RFC 3030 §2, `chunk-size = 1*DIGIT`): leading zeros, sizes beyond any limit,
 * and a size that is not a number (hardening issue, defect 8).
 *
 * @module
 */
import assert from "node:assert/strict";
import { parseCommand } from "./command.ts";
import { setup, type TestClient } from "./_test_support.ts";

const enc = new TextEncoder();

Deno.test("parseCommand BDAT accepts any number of leading zeros (1*DIGIT)", () => {
  const r = parseCommand(enc.encode("BDAT 00000000000000000000000005 LAST"));
  assert.ok(r.ok);
  assert.deepEqual(r.command, { verb: "BDAT", size: 5, last: true });
  const z = parseCommand(enc.encode("BDAT 0000"));
  assert.ok(z.ok);
  assert.deepEqual(z.command, { verb: "BDAT", size: 0, last: false });
});

Deno.test("parseCommand BDAT keeps a size too large for a number above every limit, without overflow", () => {
  const r = parseCommand(enc.encode("BDAT 123456789012345678901234567890"));
  assert.ok(r.ok);
  assert.ok(r.command.verb === "BDAT");
  assert.equal(r.command.size, Number.MAX_SAFE_INTEGER);
  assert.ok(Number.isSafeInteger(r.command.size));
});

Deno.test("parseCommand BDAT refuses hexadecimal, signs and non-ASCII digits with 501 5.5.4", () => {
  for (
    const bad of ["BDAT 0x10 LAST", "BDAT +5", "BDAT -1", "BDAT ５", "BDAT 1e3", "BDAT", "BDAT 5 LAST x"]
  ) {
    const r = parseCommand(enc.encode(bad));
    assert.ok(!r.ok, bad);
    assert.equal(`${r.reply.code} ${r.reply.enhanced}`, "501 5.5.4", bad);
  }
});

async function greet(c: TestClient): Promise<void> {
  await c.reply();
  await c.cmd("EHLO client.test");
}

Deno.test("SmtpSession BDAT with leading zeros delivers the chunk", async () => {
  const env = await setup();
  try {
    const c = env.connect();
    await greet(c);
    await c.cmd("MAIL FROM:<s@remote.test>");
    await c.cmd("RCPT TO:<alice@example.org>");
    const body = "Subject: z\r\n\r\nhi\r\n";
    await c.write(`BDAT ${String(body.length).padStart(28, "0")} LAST\r\n${body}`);
    assert.match((await c.reply())!, /^250 2\.0\.0 Ok: queued as /);
    assert.equal(await c.cmd("NOOP"), "250 2.0.0 Ok");
  } finally {
    await env.close();
  }
});

Deno.test("SmtpSession BDAT with an unparseable size replies 501, then 421, before closing", async () => {
  const env = await setup();
  try {
    const c = env.connect();
    await greet(c);
    await c.cmd("MAIL FROM:<s@remote.test>");
    await c.cmd("RCPT TO:<alice@example.org>");
    // RFC 3030 §2: the chunk's length is unknown, so its bytes cannot be told from commands.
    await c.write("BDAT 0x10 LAST\r\nRCPT TO:<bob@example.org>\r\n");
    assert.equal(await c.reply(), "501 5.5.4 Syntax: BDAT <size> [LAST]");
    assert.match((await c.reply())!, /^421 4\.5\.4 .*closing connection$/);
    assert.equal(await c.reply(), null);
  } finally {
    await env.close();
  }
});
