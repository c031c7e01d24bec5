/**
 * APPEND stores the message in canonical form (RFC 5322 §2.3, as Dovecot does): bare LF line ends
 * become CRLF, so RFC822.SIZE, the octets of BODY[] and BODYSTRUCTURE sizes agree; a literal8
 * (RFC 3516) is kept byte for byte.
 */
import assert from "node:assert/strict";
import { RawImap, setupImap } from "./_imap_client.ts";

const enc = new TextEncoder();

Deno.test("imap APPEND of a bare-LF message serves CRLF with RFC822.SIZE equal to BODY[] octets", async () => {
  const { t, port } = await setupImap();
  const c = await RawImap.connect(port);
  try {
    await c.login();
    const msg = "Subject: lf\nFrom: a@example.org\n\nline one\nline two\n";
    await c.c.sendBytes(enc.encode(`a1 APPEND INBOX {${msg.length}+}\r\n${msg}\r\n`));
    assert.match((await c.until("a1")).at(-1)!, /^TAG OK \[APPENDUID \d+ 1\]/);
    await c.cmd("SELECT INBOX");
    const crlf = msg.replaceAll("\n", "\r\n");
    assert.deepEqual(await c.cmd("FETCH 1 (RFC822.SIZE BODYSTRUCTURE)"), [
      `* 1 FETCH (RFC822.SIZE ${crlf.length} BODYSTRUCTURE ("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 20 2 NIL NIL NIL NIL))`,
      "TAG OK FETCH completed",
    ]);
    // Raw lines: the literal announces the CRLF size and its lines end in CRLF (the reader strips them).
    assert.deepEqual(await c.cmd("FETCH 1 BODY.PEEK[]"), [
      `* 1 FETCH (BODY[] {${crlf.length}}`,
      "Subject: lf",
      "From: a@example.org",
      "",
      "line one",
      "line two",
      ")",
      "TAG OK FETCH completed",
    ]);
  } finally {
    c.close();
    await t.close();
  }
});

Deno.test("imap APPEND of a literal8 keeps the bytes exactly", async () => {
  const { t, port } = await setupImap();
  const c = await RawImap.connect(port);
  try {
    await c.login();
    const msg = "Subject: bin\n\nraw\n";
    await c.c.sendBytes(enc.encode(`a1 APPEND INBOX ~{${msg.length}+}\r\n${msg}\r\n`));
    assert.match((await c.until("a1")).at(-1)!, /^TAG OK/);
    await c.cmd("SELECT INBOX");
    assert.deepEqual(await c.cmd("FETCH 1 RFC822.SIZE"), [
      `* 1 FETCH (RFC822.SIZE ${msg.length})`,
      "TAG OK FETCH completed",
    ]);
  } finally {
    c.close();
    await t.close();
  }
});
