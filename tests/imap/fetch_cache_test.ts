/**
 * FETCH ENVELOPE / BODY / BODYSTRUCTURE from the process's cache of formatted items
 * (protocols/imap/fetch/derived_cache.ts): a message fetched once is answered again without
 * reading its bytes, and a UTF8=ACCEPT session (RFC 9755) never gets another session's quoting.
 */
import assert from "node:assert/strict";
import { RawImap, setupImap } from "./_imap_client.ts";

Deno.test("imap FETCH: ENVELOPE and BODYSTRUCTURE of a message fetched once come back without reading it", async () => {
  const { t, user, port } = await setupImap();
  const id = await t.deliver(
    user,
    `From: Ann <ann@example.org>\r\nTo: u@example.org\r\nSubject: cached ${crypto.randomUUID()}\r\n` +
      `Message-ID: <c1@example.org>\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nhello\r\n`,
  );
  const store = t.srv.context.store;
  const a = await RawImap.connect(port);
  try {
    await a.login();
    await a.cmd("SELECT INBOX");
    const items = "FETCH 1 (ENVELOPE BODYSTRUCTURE BODY)";
    const first = await a.cmd(items);
    assert.equal(first.at(-1), "TAG OK FETCH completed");
    assert.match(first[0]!, /^\* 1 FETCH \(ENVELOPE \(.*cached .*\) BODYSTRUCTURE \(.*\) BODY \(.*\)\)$/);
    // The bytes are gone from the blob store: only the cache can answer now.
    const [msg] = await store.getMessages(user.id, [id]);
    await store.blobs.delete(msg!.blobId);
    assert.equal(await store.blobs.get(msg!.blobId), null);
    assert.deepEqual(await a.cmd(items), first);
    const other = await RawImap.connect(port);
    try {
      await other.login();
      await other.cmd("EXAMINE INBOX");
      assert.deepEqual(await other.cmd("FETCH 1 (ENVELOPE)"), [
        first[0]!.replace(/ BODYSTRUCTURE .*$/, ")"),
        "TAG OK FETCH completed",
      ]);
    } finally {
      other.close();
    }
    // A new message is looked up and read; the cached one still is not (its bytes are gone).
    await t.deliver(user, `From: Bob <bob@example.org>\r\nSubject: second\r\n\r\nhi\r\n`);
    await a.cmd("NOOP");
    const both = await a.cmd("FETCH 1:2 (ENVELOPE)");
    assert.equal(both.length, 3, both.join("\n"));
    assert.equal(both[0], first[0]!.replace(/ BODYSTRUCTURE .*$/, ")"));
    assert.match(both[1]!, /^\* 2 FETCH \(ENVELOPE \(NIL "second" \(\("Bob" NIL "bob" "example\.org"\)\)/);
    // A section still needs the bytes, which are gone (RFC 9051 §7.1 EXPUNGEISSUED).
    const header = await a.cmd("FETCH 1 (BODY.PEEK[HEADER])");
    assert.ok(!header.some((l) => l.includes("BODY[HEADER]")), header.join("\n"));
  } finally {
    a.close();
    await t.close();
  }
});

Deno.test("imap FETCH: a UTF8=ACCEPT session and a plain one each get their own ENVELOPE of the same message", async () => {
  const { t, user, port } = await setupImap();
  // An unencoded UTF-8 Subject: quoted for a UTF8=ACCEPT session, a literal otherwise.
  await t.deliver(
    user,
    `From: ann@example.org\r\nSubject: caf\u00e9 ${crypto.randomUUID()}\r\n\r\nbody\r\n`,
  );
  const u = await RawImap.connect(port);
  const p = await RawImap.connect(port);
  try {
    await u.login();
    await p.login();
    await u.cmd("ENABLE UTF8=ACCEPT");
    await u.cmd("EXAMINE INBOX");
    await p.cmd("EXAMINE INBOX");
    const utf8 = await u.cmd("FETCH 1 (ENVELOPE)");
    const plain = await p.cmd("FETCH 1 (ENVELOPE)");
    assert.match(utf8[0]!, /"caf\u00e9 /);
    assert.match(plain[0]!, /ENVELOPE \(NIL \{\d+\}$/);
    assert.deepEqual(await u.cmd("FETCH 1 (ENVELOPE)"), utf8);
    assert.deepEqual(await p.cmd("FETCH 1 (ENVELOPE)"), plain);
  } finally {
    u.close();
    p.close();
    await t.close();
  }
});
