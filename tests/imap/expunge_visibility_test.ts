/**
 * A message expunged by another session stays visible to every session not yet told of the
 * expunge (RFC 2180 §4.1.1, RFC 9051 §7.5.1): FETCH serves its content and flags, STORE on it is a
 * harmless OK, and its blob is released only once no session holds it.
 */
import assert from "node:assert/strict";
import { RawImap, setupImap, withSelected } from "./_imap_client.ts";

const MSG = (n: number) => `From: x@example.org\r\nTo: u@example.org\r\nSubject: n${n}\r\n\r\nbody ${n}\r\n`;

Deno.test("imap a message expunged elsewhere is still fetched and stored on until the EXPUNGE is sent", async () => {
  const { t, user, port } = await setupImap();
  for (let i = 1; i <= 3; i++) await t.deliver(user, MSG(i));
  const a = await RawImap.connect(port);
  const b = await RawImap.connect(port);
  try {
    await a.login();
    await b.login();
    // A selects first and so has the messages as \Recent; B's flags are plain.
    await a.cmd("SELECT INBOX");
    await b.cmd("SELECT INBOX");
    await a.cmd("STORE 2 +FLAGS.SILENT (\\Deleted)");
    assert.deepEqual(await a.cmd("EXPUNGE"), ["* 2 EXPUNGE", "* 2 RECENT", "TAG OK EXPUNGE completed"]);
    // B has not been told: the whole message, its structure and size are still there.
    assert.deepEqual(
      await b.cmd("FETCH 2 (BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[TEXT] RFC822.SIZE)"),
      [
        // A's \Deleted, set just before the expunge, is shown (the EXPUNGE itself must wait).
        "* 2 FETCH (UID 2 FLAGS (\\Deleted))",
        "* 2 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {15}",
        "Subject: n2",
        "",
        " BODY[TEXT] {8}",
        "body 2",
        ` RFC822.SIZE ${MSG(2).length})`,
        "TAG OK FETCH completed",
      ],
    );
    assert.deepEqual(await b.cmd("FETCH 2 (BODY.PEEK[])"), [
      `* 2 FETCH (BODY[] {${MSG(2).length}}`,
      "From: x@example.org",
      "To: u@example.org",
      "Subject: n2",
      "",
      "body 2",
      ")",
      "TAG OK FETCH completed",
    ]);
    // STORE succeeds; the change is seen in this session only (the message is gone).
    assert.deepEqual(await b.cmd("STORE 1:3 +FLAGS (\\Flagged)"), [
      "* 1 FETCH (FLAGS (\\Flagged))",
      "* 2 FETCH (FLAGS (\\Deleted \\Flagged))",
      "* 3 FETCH (FLAGS (\\Flagged))",
      "TAG OK STORE completed",
    ]);
    assert.deepEqual(await b.cmd("SEARCH FLAGGED"), ["* SEARCH 1 2 3", "TAG OK SEARCH completed"]);
    // NOOP reports the expunge; the message is then gone for B too.
    assert.deepEqual(await b.cmd("NOOP"), ["* 2 EXPUNGE", "TAG OK NOOP completed"]);
    assert.deepEqual(await b.cmd("UID FETCH 2 (BODY.PEEK[TEXT])"), ["TAG OK FETCH completed"]);
  } finally {
    a.close();
    b.close();
    await t.close();
  }
});

Deno.test("imap the blob of a message expunged elsewhere survives garbage collection until the last session lets go", async () => {
  const { t, user, port } = await setupImap();
  for (let i = 1; i <= 2; i++) await t.deliver(user, MSG(i));
  const a = await RawImap.connect(port);
  const b = await RawImap.connect(port);
  const c = await RawImap.connect(port);
  try {
    await a.login();
    await b.login();
    await c.login();
    await a.cmd("SELECT INBOX");
    await b.cmd("SELECT INBOX");
    await c.cmd("SELECT INBOX");
    await a.cmd("STORE 1 +FLAGS.SILENT (\\Deleted)");
    await a.cmd("EXPUNGE");
    const store = t.srv.context.store;
    await store.collectGarbage();
    const body = ["* 1 FETCH (BODY[TEXT] {8}", "body 1", ")", "TAG OK FETCH completed"];
    const deleted = "* 1 FETCH (UID 1 FLAGS (\\Deleted))";
    assert.deepEqual(await b.cmd("FETCH 1 (BODY.PEEK[TEXT])"), [deleted, ...body]);
    // B is told of the expunge; C still holds the message.
    assert.deepEqual(await b.cmd("NOOP"), ["* 1 EXPUNGE", "TAG OK NOOP completed"]);
    await store.collectGarbage();
    assert.deepEqual(await c.cmd("FETCH 1 (BODY.PEEK[TEXT])"), [deleted, ...body]);
    // C logs out without being told: its hold goes with the session (before the server closes
    // the connection), and then the blob; a write job queued after the release sees it gone.
    assert.equal((await c.cmd("LOGOUT")).at(-1), "TAG OK LOGOUT completed");
    assert.equal(await c.c.read(), null);
    await store.collectGarbage();
    let blobs = 0;
    for await (const _ of store.blobs.list()) blobs++;
    assert.equal(blobs, 1);
  } finally {
    a.close();
    b.close();
    c.close();
    await t.close();
  }
});

Deno.test("imap a message moved away by another session shows the flags it had when it left", async () => {
  const { t, user, port } = await setupImap();
  await t.deliver(user, MSG(1));
  try {
    await withSelected(port, ["a", "b"], async ({ a, b }) => {
      await b.cmd("STORE 1 +FLAGS.SILENT (\\Seen)");
      await b.cmd("MOVE 1 Archive");
      // A has not been told of the move: the message is there, with B's \Seen (RFC 2180 §4.1.1).
      assert.deepEqual(await a.cmd("FETCH 1 (FLAGS)"), [
        "* 1 FETCH (UID 1 FLAGS (\\Seen \\Recent))",
        "* 1 FETCH (FLAGS (\\Seen \\Recent))",
        "TAG OK FETCH completed",
      ]);
      assert.deepEqual(await a.cmd("NOOP"), ["* 1 EXPUNGE", "* 0 RECENT", "TAG OK NOOP completed"]);
    });
  } finally {
    await t.close();
  }
});

Deno.test("imap SEARCH text, header and sent-date keys still find a message expunged or moved elsewhere", async () => {
  const { t, user, port } = await setupImap();
  const mail = (n: number, subject: string, from: string, day: string, body: string) =>
    `From: ${from}\r\nTo: u@example.org\r\nDate: ${day} 2026 10:00:00 +0000\r\nSubject: ${subject}\r\n` +
    `X-Tag: tag${n}\r\n\r\n${body}\r\n`;
  await t.deliver(user, mail(1, "plain one", "ann@example.org", "Mon, 2 Mar", "nothing here"));
  await t.deliver(
    user,
    mail(2, "=?UTF-8?Q?caf=C3=A9_gone?=", "Zoe <zoe@example.org>", "Tue, 3 Mar", "banana split"),
  );
  await t.deliver(user, mail(3, "moved away", "max@example.org", "Wed, 4 Mar", "cherry pie"));
  try {
    await withSelected(port, ["a", "b"], async ({ a, b }) => {
      await a.cmd("CREATE Other");
      // A expunges message 2 and moves message 3 away; B has not been told of either.
      await a.cmd("STORE 2 +FLAGS.SILENT (\\Deleted)");
      await a.cmd("EXPUNGE");
      await a.cmd("MOVE 2 Other");
      const search = async (key: string) =>
        (await b.cmd(`SEARCH ${key}`)).find((l) => l.startsWith("* SEARCH"));
      assert.equal(await search('CHARSET UTF-8 SUBJECT "café"'), "* SEARCH 2");
      assert.equal(await search("SUBJECT GONE"), "* SEARCH 2");
      assert.equal(await search("FROM zoe"), "* SEARCH 2");
      assert.equal(await search("BODY banana"), "* SEARCH 2");
      assert.equal(await search("TEXT tag2"), "* SEARCH 2");
      assert.equal(await search("HEADER X-Tag tag3"), "* SEARCH 3");
      assert.equal(await search("BODY cherry"), "* SEARCH 3");
      assert.equal(await search("OR BODY banana SUBJECT moved"), "* SEARCH 2 3");
      assert.equal(await search("NOT BODY banana"), "* SEARCH 1 3");
      assert.equal(await search("SENTON 3-Mar-2026"), "* SEARCH 2");
      assert.equal(await search("SENTSINCE 3-Mar-2026"), "* SEARCH 2 3");
      assert.equal(await search("BODY nothing"), "* SEARCH 1");
      // Once told, they are gone.
      await b.cmd("NOOP");
      assert.equal(await search("OR BODY banana SUBJECT moved"), "* SEARCH");
    });
  } finally {
    await t.close();
  }
});
