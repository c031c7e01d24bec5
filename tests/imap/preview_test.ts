/**
 * FETCH PREVIEW (RFC 8970) on the wire: the text is the stored preview JMAP gives, at most 256
 * characters with no whitespace at either end, a literal for non-ASCII text unless UTF8=ACCEPT
 * is enabled, "" for a message without text, the LAZY modifier in both the single-item and list
 * forms, and BAD for unknown modifiers. Replies are compared byte for byte.
 */
import assert from "node:assert/strict";
import { RawImap, setupImap } from "./_imap_client.ts";

const enc = new TextEncoder();

const LONG_WORDS = Array.from({ length: 80 }, (_, i) => `w${String(i).padStart(2, "0")}`);

/** Messages by sequence number (UID = sequence number). */
const MESSAGES = [
  // 1: ASCII text, whitespace runs and line breaks collapse to one space.
  "Subject: one\r\n\r\n  Hello   world,\r\n\r\n\tsecond line.  \r\n",
  // 2: UTF-8 text.
  "Subject: two\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße aus Köln\r\n",
  // 3: 80 words of 3 characters: the stored preview is cut after 256 code points, which falls
  // just after a space (64 words and 63 spaces make 255, the 256th is a space).
  `Subject: three\r\n\r\n${LONG_WORDS.join("  ")}\r\n`,
  // 4: no text part at all.
  "Subject: four\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n",
  // 5: HTML only: the text, without markup.
  "Subject: five\r\nContent-Type: text/html\r\n\r\n<html><head><title>T</title></head><body><p>Hi <b>there</b></p></body></html>\r\n",
];

async function mailbox(): Promise<{ c: RawImap; close: () => Promise<void> }> {
  const { t, port } = await setupImap();
  const c = await RawImap.connect(port);
  await c.login();
  for (const m of MESSAGES) {
    const r = await c.cmd(`APPEND INBOX {${enc.encode(m).length}+}\r\n${m}`);
    assert.match(r.at(-1)!, /^TAG OK/);
  }
  assert.match((await c.cmd("SELECT INBOX")).at(-1)!, /^TAG OK/);
  return {
    c,
    close: async () => {
      c.close();
      await t.close();
    },
  };
}

Deno.test("PREVIEW is advertised after login", async () => {
  const { c, close } = await mailbox();
  try {
    assert.ok((await c.cmd("CAPABILITY"))[0]!.split(" ").includes("PREVIEW"));
  } finally {
    await close();
  }
});

Deno.test("FETCH PREVIEW returns the collapsed body text as a quoted string", async () => {
  const { c, close } = await mailbox();
  try {
    assert.deepEqual(await c.cmd("FETCH 1 PREVIEW"), [
      '* 1 FETCH (PREVIEW "Hello world, second line.")',
      "TAG OK FETCH completed",
    ]);
    assert.deepEqual(await c.cmd("UID FETCH 5 (FLAGS PREVIEW)"), [
      '* 5 FETCH (UID 5 FLAGS (\\Recent) PREVIEW "Hi there")',
      "TAG OK FETCH completed",
    ]);
  } finally {
    await close();
  }
});

Deno.test("a message without text has the empty preview, not NIL", async () => {
  const { c, close } = await mailbox();
  try {
    assert.deepEqual(await c.cmd("FETCH 4 PREVIEW"), ['* 4 FETCH (PREVIEW "")', "TAG OK FETCH completed"]);
  } finally {
    await close();
  }
});

Deno.test("a non-ASCII preview is a literal of its UTF-8 octets, quoted once UTF8=ACCEPT is enabled", async () => {
  const { c, close } = await mailbox();
  try {
    const octets = enc.encode("Grüße aus Köln").length;
    assert.deepEqual(await c.cmd("FETCH 2 PREVIEW"), [
      `* 2 FETCH (PREVIEW {${octets}}`,
      "Grüße aus Köln)",
      "TAG OK FETCH completed",
    ]);
    assert.match((await c.cmd("ENABLE UTF8=ACCEPT")).at(-1)!, /^TAG OK/);
    assert.deepEqual(await c.cmd("FETCH 2 PREVIEW"), [
      '* 2 FETCH (PREVIEW "Grüße aus Köln")',
      "TAG OK FETCH completed",
    ]);
  } finally {
    await close();
  }
});

Deno.test("a preview is at most 256 characters and never ends in a space", async () => {
  const { c, close } = await mailbox();
  try {
    const expected = LONG_WORDS.slice(0, 64).join(" ");
    assert.equal(expected.length, 255);
    assert.deepEqual(await c.cmd("FETCH 3 PREVIEW"), [
      `* 3 FETCH (PREVIEW "${expected}")`,
      "TAG OK FETCH completed",
    ]);
  } finally {
    await close();
  }
});

Deno.test("PREVIEW (LAZY) is accepted alone, in a list and with FETCH modifiers; unknown modifiers are BAD", async () => {
  const { c, close } = await mailbox();
  try {
    assert.deepEqual(await c.cmd("FETCH 1 PREVIEW (LAZY)"), [
      '* 1 FETCH (PREVIEW "Hello world, second line.")',
      "TAG OK FETCH completed",
    ]);
    assert.deepEqual(await c.cmd("UID FETCH 1 (PREVIEW (lazy) RFC822.SIZE)"), [
      `* 1 FETCH (UID 1 PREVIEW "Hello world, second line." RFC822.SIZE ${enc.encode(MESSAGES[0]!).length})`,
      "TAG OK FETCH completed",
    ]);
    // The first CONDSTORE-enabling command reports HIGHESTMODSEQ first (RFC 7162 §3.1).
    const modseq = /MODSEQ \((\d+)\)/.exec((await c.cmd("FETCH 1 MODSEQ")).join("\n"))![1];
    const withMods = await c.cmd("FETCH 1 PREVIEW (LAZY) (CHANGEDSINCE 0)");
    assert.deepEqual(withMods, [
      `* 1 FETCH (PREVIEW "Hello world, second line." MODSEQ (${modseq}))`,
      "TAG OK FETCH completed",
    ]);
    for (const bad of ["FETCH 1 (PREVIEW (FAST))", "FETCH 1 (PREVIEW ())", "FETCH 1 PREVIEW (LAZY X)"]) {
      const r = await c.cmd(bad);
      assert.equal(r.length, 1, bad);
      assert.match(r[0]!, /^TAG BAD /, bad);
    }
  } finally {
    await close();
  }
});
