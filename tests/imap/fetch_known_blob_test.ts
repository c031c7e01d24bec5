/**
 * FETCH of body sections (RFC 9051 §6.4.5) needs only the message's blob: once the session's
 * process knows a message's blob id (protocols/imap/fetch/message_blobs.ts), BODY.PEEK[...] reads
 * the bytes without looking the message up again, and answers the same.
 */
import assert from "node:assert/strict";
import { RawImap, setupImap } from "./_imap_client.ts";

const MSG = `From: Ann <ann@example.org>\r\nTo: u@example.org\r\nSubject: known blob\r\n` +
  `Content-Type: text/plain; charset=us-ascii\r\n\r\nhello\r\n`;

Deno.test("imap FETCH BODY.PEEK[] of a message whose blob is known does not look the message up", async () => {
  const { t, user, port } = await setupImap();
  await t.deliver(user, MSG);
  const store = t.srv.context.store;
  // Counts message lookups; the real store still answers.
  let lookups = 0;
  const getMessages = store.getMessages.bind(store);
  store.getMessages = (accountId, ids, opts) => {
    lookups += ids.length;
    return getMessages(accountId, ids, opts);
  };
  const a = await RawImap.connect(port);
  try {
    await a.login();
    await a.cmd("SELECT INBOX");
    const body = [
      `* 1 FETCH (BODY[] {${MSG.length}}`,
      ...MSG.split("\r\n").slice(0, -1),
      ")",
      "TAG OK FETCH completed",
    ];
    assert.deepEqual(await a.cmd("FETCH 1 BODY.PEEK[]"), body);
    assert.equal(lookups, 1, "the first FETCH looks the message up");
    assert.deepEqual(await a.cmd("FETCH 1 BODY.PEEK[]"), body);
    assert.deepEqual(await a.cmd("FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)] RFC822.SIZE)"), [
      "* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {23}",
      "Subject: known blob",
      "",
      ` RFC822.SIZE ${MSG.length})`,
      "TAG OK FETCH completed",
    ]);
    assert.equal(lookups, 1, "later section FETCHes read the known blob only");
    // THREADID needs the message row: looked up again.
    await a.cmd("FETCH 1 (BODY.PEEK[TEXT] THREADID)");
    assert.equal(lookups, 2);
  } finally {
    a.close();
    await t.close();
  }
});
