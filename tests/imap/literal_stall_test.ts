/**
 * A client that stalls after a synchronising literal (Python's imaplib sends the literal and its
 * closing CRLF in two writes, and Nagle holds the CRLF until the literal is ACKed) gets one untagged
 * `* OK` at once, so the TCP ACK rides on it instead of the kernel's delayed ACK (RFC 9051 §7.1.1,
 * §2.2.2). A client that sends the rest of its command with the literal gets no extra line.
 */
import assert from "node:assert/strict";
import { RawImap, setupImap } from "./_imap_client.ts";

const MSG = "Subject: stall\r\nFrom: a@example.org\r\n\r\nbody\r\n";

Deno.test("imap APPEND: a client stalled after a synchronising literal gets '* OK Literal received' before it sends the CRLF", async () => {
  const { t, port } = await setupImap();
  const c = await RawImap.connect(port);
  try {
    await c.login();
    await c.c.line(`s1 APPEND INBOX {${MSG.length}}`);
    assert.equal(await c.c.read(), "+ Ready for literal data");
    await c.c.send(MSG);
    // Deterministic: the server must speak before this client sends another byte.
    assert.equal(await c.c.read(), "* OK Literal received");
    await c.c.send("\r\n");
    const rest = await c.until("s1");
    assert.equal(rest.length, 1);
    assert.match(rest[0]!, /^TAG OK \[APPENDUID \d+ 1\] APPEND completed$/);
    // MULTIAPPEND (RFC 3502): a stall after each synchronising literal, then the command goes on.
    await c.c.line(`s2 APPEND INBOX {${MSG.length}}`);
    assert.equal(await c.c.read(), "+ Ready for literal data");
    await c.c.send(MSG);
    assert.equal(await c.c.read(), "* OK Literal received");
    await c.c.line(` {${MSG.length}}`);
    assert.equal(await c.c.read(), "+ Ready for literal data");
    await c.c.send(MSG);
    assert.equal(await c.c.read(), "* OK Literal received");
    await c.c.send("\r\n");
    assert.match((await c.until("s2")).join("\n"), /^TAG OK \[APPENDUID \d+ 2:3\] APPEND completed$/);
  } finally {
    c.close();
    await t.close();
  }
});

Deno.test("imap APPEND: no extra line when the CRLF comes with the literal, synchronising or not", async () => {
  const { t, port } = await setupImap();
  const c = await RawImap.connect(port);
  try {
    await c.login();
    await c.c.line(`s1 APPEND INBOX {${MSG.length}}`);
    assert.equal(await c.c.read(), "+ Ready for literal data");
    await c.c.send(MSG + "\r\n");
    const sync = await c.until("s1");
    assert.deepEqual(sync.length, 1, JSON.stringify(sync));
    assert.match(sync[0]!, /^TAG OK \[APPENDUID \d+ 1\]/);
    await c.c.send(`s2 APPEND INBOX {${MSG.length}+}\r\n${MSG}\r\n`);
    const plus = await c.until("s2");
    assert.deepEqual(plus.length, 1, JSON.stringify(plus));
    assert.match(plus[0]!, /^TAG OK \[APPENDUID \d+ 2\]/);
  } finally {
    c.close();
    await t.close();
  }
});
