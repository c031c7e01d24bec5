/**
 * SEARCH keys of RFC 9051 §6.4.4 over a small mailbox: text keys (through the store's index),
 * headers, dates, sizes, flags, sequence and UID sets, OR/NOT nesting.
 */
import assert from "node:assert/strict";
import { RawImap, setupImap } from "./_imap_client.ts";

const MESSAGES = [
  "From: Ada Lovelace <ada@example.org>\r\nTo: bob@example.org\r\nSubject: Engine notes\r\n" +
  "Date: Mon, 02 Feb 2026 10:00:00 +0000\r\nX-Tag: alpha\r\n\r\nThe analytical engine weaves patterns.\r\n",
  "From: Bob <bob@example.org>\r\nTo: ada@example.org\r\nCc: carol@example.org\r\nSubject: Re: Engine notes\r\n" +
  "Date: Tue, 10 Mar 2026 10:00:00 +0000\r\n\r\nLooms and cards.\r\n",
  "From: Carol <carol@example.org>\r\nTo: ada@example.org\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n" +
  "Date: Wed, 15 Apr 2026 10:00:00 +0000\r\nX-Tag: beta\r\n\r\n" + "Long body line.\r\n".repeat(100),
];

Deno.test("imap SEARCH keys", async () => {
  const { t, user, port } = await setupImap();
  for (const m of MESSAGES) await t.deliver(user, m);
  const c = await RawImap.connect(port);
  const search = async (q: string) => {
    const r = await c.cmd(`SEARCH ${q}`);
    assert.equal(r.at(-1), "TAG OK SEARCH completed", `${q}: ${r.join("\n")}`);
    return r[0]!.replace(/^\* SEARCH ?/, "");
  };
  try {
    await c.login();
    await c.cmd("SELECT INBOX");
    await c.cmd("STORE 2 +FLAGS (\\Answered $Label1)");
    assert.equal(await search("ALL"), "1 2 3");
    assert.equal(await search('SUBJECT "engine"'), "1 2");
    assert.equal(await search('SUBJECT "café"'), "3");
    assert.equal(await search('FROM "ada@"'), "1");
    assert.equal(await search('TO "ada"'), "2 3");
    assert.equal(await search('CC "carol"'), "2");
    assert.equal(await search('BODY "looms"'), "2");
    assert.equal(await search('TEXT "analytical"'), "1");
    assert.equal(await search('HEADER X-Tag "beta"'), "3");
    assert.equal(await search('HEADER X-Tag ""'), "1 3");
    assert.equal(await search("SENTBEFORE 1-Mar-2026"), "1");
    assert.equal(await search("SENTON 10-Mar-2026"), "2");
    assert.equal(await search("SENTSINCE 10-Mar-2026"), "2 3");
    assert.equal(await search("LARGER 1000"), "3");
    assert.equal(await search("SMALLER 1000"), "1 2");
    assert.equal(await search("ANSWERED KEYWORD $label1"), "2");
    assert.equal(await search("UNANSWERED"), "1 3");
    assert.equal(await search("OR 1 3"), "1 3");
    assert.equal(await search("NOT (OR 1 UID 3)"), "2");
    assert.equal(await search("2:*"), "2 3");
    assert.equal(await search("SINCE 1-Jan-2000 NOT DELETED"), "1 2 3");
    assert.equal(await search("BEFORE 1-Jan-2000"), "");
    assert.equal(await search("CHARSET UTF-8 SUBJECT {5+}\r\ncafé"), "3");
    // This session's SELECT claimed the three messages as \Recent (RFC 3501 §2.3.2); none is \Seen.
    assert.equal(await search("NEW"), "1 2 3");
    assert.equal(await search("RECENT"), "1 2 3");
    assert.equal(await search("OLD"), "");
    assert.deepEqual(await c.cmd("SEARCH FROB"), ["TAG BAD Unknown search key FROB"]);
  } finally {
    c.close();
    await t.close();
  }
});
