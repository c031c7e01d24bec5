/**
 * Parser limits and bad input over the wire: the session answers BAD/NO with a response code and
 * goes on; large bodies are streamed back byte-exact.
 */
import assert from "node:assert/strict";
import { RawImap, setupImap } from "./_imap_client.ts";
import { python } from "../support/line_client.ts";

Deno.test("imap over-long lines, garbage and deep nesting get BAD and the session survives", async () => {
  const { t, port } = await setupImap({ imap: { max_line_length: 4096 } });
  const c = await RawImap.connect(port);
  try {
    await c.login();
    await c.c.line(`b1 NOOP ${"x".repeat(10_000)}`);
    assert.deepEqual(await c.until("b1"), ["TAG BAD [TOOBIG] Command line too long"]);
    assert.deepEqual(await c.cmd("FROB"), ["TAG BAD Unknown command FROB"]);
    assert.deepEqual(await c.cmd('LOGIN "x'), ["TAG BAD Unterminated quoted string"]);
    await c.c.line("+ NOOP");
    assert.equal(await c.c.read(), "* BAD Invalid or missing tag");
    await c.cmd("SELECT INBOX");
    assert.deepEqual(await c.cmd(`SEARCH ${"(".repeat(50)}ALL${")".repeat(50)}`), [
      "TAG BAD [LIMIT] Lists nested too deeply",
    ]);
    assert.deepEqual(await c.cmd("FETCH 1:* (FLAGS BODY[1.MIME.TEXT])"), ["TAG BAD Invalid section"]);
    assert.deepEqual(await c.cmd("FETCH 5 FLAGS"), ["TAG BAD [CLIENTBUG] Invalid message sequence number"]);
    assert.deepEqual(await c.cmd("STORE 1 FLAGS (\\Bogus)"), ["TAG BAD Invalid flag \\Bogus"]);
    assert.deepEqual(await c.cmd("NOOP"), ["TAG OK NOOP completed"]);
  } finally {
    c.close();
    await t.close();
  }
});

Deno.test("imap FETCH BODY[] of a large message streams it back byte-exact", async () => {
  const { t, port } = await setupImap();
  try {
    const out = await python(
      `
import imaplib, hashlib, sys
M = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]), timeout=30)
M.login("u@example.org", "s3cret pass")
line = b"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\\r\\n"
msg = b"Subject: big\\r\\n\\r\\n" + line * 80000
M.append("INBOX", None, None, msg)
M.select("INBOX", readonly=True)
typ, whole = M.fetch("1", "(BODY.PEEK[])")
typ, data = M.fetch("1", "(BODY.PEEK[]<5000000.100> BODY.PEEK[TEXT]<100.50>)")
print(hashlib.sha256(msg).hexdigest() == hashlib.sha256(whole[0][1]).hexdigest(), len(msg),
      data[0][1] == msg[5000000:5000100], data[1][1] == msg[16 + 100:16 + 150])
M.logout()
`,
      [String(port)],
    );
    assert.equal(out.trim(), "True 5920016 True True");
  } finally {
    await t.close();
  }
});
