/**
 * A command names the messages the client knew when it sent it (protocols/imap/commands/sets.ts):
 * a message another source added meanwhile is announced by the command's `* n EXISTS` but is not
 * part of its `1:*`, `*` or sequence numbers, nor of what EXPUNGE, CLOSE and SEARCH act on; and a
 * sequence number above the message count (or `*` in an empty mailbox) is BAD (RFC 9051 §9
 * seq-number), as Dovecot answers (tests/interop/random_diff_test.ts).
 */
import assert from "node:assert/strict";
import { setupImap, withSelected } from "./_imap_client.ts";

const MSG = (n: number) => `From: x@example.org\r\nTo: u@example.org\r\nSubject: n${n}\r\n\r\nbody ${n}\r\n`;

Deno.test("imap STORE and FETCH on 1:* leave out a message the client has not been told of", async () => {
  const { t, user, port } = await setupImap();
  for (let i = 1; i <= 3; i++) await t.deliver(user, MSG(i));
  try {
    await withSelected(port, ["a"], async ({ a }) => {
      await t.deliver(user, MSG(4));
      // "Mark all as read" must not mark the message that arrived as it was sent.
      assert.deepEqual(await a.cmd("UID STORE 1:* +FLAGS (\\Seen)"), [
        "* 4 EXISTS",
        "* 4 RECENT",
        "* 1 FETCH (FLAGS (\\Seen \\Recent) UID 1)",
        "* 2 FETCH (FLAGS (\\Seen \\Recent) UID 2)",
        "* 3 FETCH (FLAGS (\\Seen \\Recent) UID 3)",
        "TAG OK STORE completed",
      ]);
      assert.deepEqual(await a.cmd("FETCH 4 (FLAGS)"), [
        "* 4 FETCH (FLAGS (\\Recent))",
        "TAG OK FETCH completed",
      ]);
      await t.deliver(user, MSG(5));
      assert.deepEqual(await a.cmd("STORE 1:* +FLAGS.SILENT (\\Flagged)"), [
        "* 5 EXISTS",
        "* 5 RECENT",
        "TAG OK STORE completed",
      ]);
      assert.deepEqual(await a.cmd("FETCH 5 (FLAGS)"), [
        "* 5 FETCH (FLAGS (\\Recent))",
        "TAG OK FETCH completed",
      ]);
      await t.deliver(user, MSG(6));
      // FETCH 1:* answers for the five messages known; the sixth is announced first.
      const all = await a.cmd("FETCH 1:* (UID)");
      assert.deepEqual(all.filter((l) => !l.includes("FETCH (UID")), [
        "* 6 EXISTS",
        "* 6 RECENT",
        "TAG OK FETCH completed",
      ]);
      assert.deepEqual(all.filter((l) => l.includes("FETCH (UID")).length, 5);
      await t.deliver(user, MSG(7));
      // Message 7 is not a number the client can know yet: BAD, with no update sent before it.
      assert.deepEqual(await a.cmd("FETCH 7 (FLAGS)"), [
        "TAG BAD [CLIENTBUG] Invalid message sequence number",
      ]);
      assert.deepEqual(await a.cmd("NOOP"), ["* 7 EXISTS", "* 7 RECENT", "TAG OK NOOP completed"]);
      assert.deepEqual(await a.cmd("FETCH 7 (FLAGS)"), [
        "* 7 FETCH (FLAGS (\\Recent))",
        "TAG OK FETCH completed",
      ]);
    });
  } finally {
    await t.close();
  }
});

Deno.test("imap a sequence number above the message count is BAD, in SEARCH a key that matches none", async () => {
  const { t, user, port } = await setupImap();
  for (let i = 1; i <= 3; i++) await t.deliver(user, MSG(i));
  try {
    await withSelected(port, ["a"], async ({ a }) => {
      const BAD = ["TAG BAD [CLIENTBUG] Invalid message sequence number"];
      for (
        const cmd of ["FETCH 2:5 (FLAGS)", "FETCH 4:* (FLAGS)", "STORE 3:4 +FLAGS (\\Seen)", "COPY 1,9 INBOX"]
      ) {
        assert.deepEqual(await a.cmd(cmd), BAD, cmd);
      }
      // By UID, a UID that does not exist is ignored (RFC 9051 §6.4.9).
      assert.deepEqual(await a.cmd("UID FETCH 3:99 (FLAGS)"), [
        "* 3 FETCH (UID 3 FLAGS (\\Recent))",
        "TAG OK FETCH completed",
      ]);
      assert.deepEqual(await a.cmd("SEARCH 2:5"), ["* SEARCH 2 3", "TAG OK SEARCH completed"]);
      await a.cmd("CREATE Empty");
      await a.cmd("SELECT Empty");
      // RFC 9051 §9: this includes "*" in an empty mailbox.
      assert.deepEqual(await a.cmd("FETCH 1:* (FLAGS)"), BAD);
      assert.deepEqual(await a.cmd("STORE * +FLAGS (\\Seen)"), BAD);
      assert.deepEqual(await a.cmd("UID FETCH 1:* (FLAGS)"), ["TAG OK FETCH completed"]);
      assert.deepEqual(await a.cmd("SEARCH 1:*"), ["* SEARCH", "TAG OK SEARCH completed"]);
    });
  } finally {
    await t.close();
  }
});

Deno.test("imap EXPUNGE and CLOSE leave a \\Deleted message the session has not been shown", async () => {
  const { t, user, port } = await setupImap();
  for (let i = 1; i <= 2; i++) await t.deliver(user, MSG(i));
  try {
    await withSelected(port, ["a", "c"], async ({ a, c }) => {
      await t.deliver(user, MSG(3));
      await c.cmd("NOOP");
      await c.cmd("STORE 3 +FLAGS.SILENT (\\Deleted)");
      // A never saw message 3: its EXPUNGE leaves it, and tells it afterwards.
      assert.deepEqual(await a.cmd("EXPUNGE"), ["* 3 EXISTS", "TAG OK EXPUNGE completed"]);
      assert.deepEqual(await a.cmd("EXPUNGE"), ["* 3 EXPUNGE", "TAG OK EXPUNGE completed"]);
      // CLOSE likewise.
      await t.deliver(user, MSG(4));
      await c.cmd("NOOP");
      await c.cmd("STORE 3 +FLAGS.SILENT (\\Deleted)");
      assert.deepEqual(await a.cmd("CLOSE"), ["TAG OK CLOSE completed"]);
      assert.deepEqual(await c.cmd("NOOP"), ["TAG OK NOOP completed"]);
      assert.deepEqual(await c.cmd("FETCH 3 (FLAGS)"), [
        "* 3 FETCH (FLAGS (\\Deleted \\Recent))",
        "TAG OK FETCH completed",
      ]);
    });
  } finally {
    await t.close();
  }
});

Deno.test("imap SEARCH searches the messages the client knew, and MOVE of one expunged elsewhere is NO", async () => {
  const { t, user, port } = await setupImap();
  for (let i = 1; i <= 3; i++) await t.deliver(user, MSG(i));
  try {
    await withSelected(port, ["a", "b"], async ({ a, b }) => {
      await t.deliver(user, MSG(4));
      assert.deepEqual(await a.cmd("SEARCH ALL"), [
        "* 4 EXISTS",
        "* 4 RECENT",
        "* SEARCH 1 2 3",
        "TAG OK SEARCH completed",
      ]);
      await t.deliver(user, MSG(5));
      // "*" is the last message known: UID 4, not the new UID 5.
      assert.deepEqual(await a.cmd("UID SEARCH UID *"), [
        "* 5 EXISTS",
        "* 5 RECENT",
        "* SEARCH 4",
        "TAG OK SEARCH completed",
      ]);
      await b.cmd("STORE 2 +FLAGS.SILENT (\\Deleted)");
      await b.cmd("EXPUNGE");
      // A still has message 2 (not told yet): moving it cannot be done (RFC 9051 §7.1); the
      // expunge is told after, as after any MOVE.
      assert.deepEqual(await a.cmd("MOVE 2 Trash"), [
        "* 2 FETCH (UID 2 FLAGS (\\Deleted \\Recent))",
        "* 2 EXPUNGE",
        "* 4 RECENT",
        "TAG NO [EXPUNGEISSUED] Some messages were expunged",
      ]);
      assert.deepEqual(await a.cmd("STATUS Trash (MESSAGES)"), [
        "* STATUS Trash (MESSAGES 0)",
        "TAG OK STATUS completed",
      ]);
    });
  } finally {
    await t.close();
  }
});

Deno.test("imap UID * is the last message the client knew, even when another session expunged it", async () => {
  const { t, user, port } = await setupImap();
  for (let i = 1; i <= 2; i++) await t.deliver(user, MSG(i));
  try {
    await withSelected(port, ["a", "b"], async ({ a, b }) => {
      await a.cmd("STORE 2 +FLAGS.SILENT (\\Deleted)");
      await a.cmd("EXPUNGE");
      // B meant UID 2, which is gone: the expunge is told, and message 1 is left as it was.
      assert.deepEqual(await b.cmd("UID STORE * +FLAGS (\\Seen)"), ["* 2 EXPUNGE", "TAG OK STORE completed"]);
      assert.deepEqual(await b.cmd("FETCH 1 (FLAGS)"), ["* 1 FETCH (FLAGS ())", "TAG OK FETCH completed"]);
    });
  } finally {
    await t.close();
  }
});

Deno.test("imap a refused COPY leaves pending updates for the next command, and a bad number is BAD before a missing target", async () => {
  const { t, user, port } = await setupImap();
  for (let i = 1; i <= 2; i++) await t.deliver(user, MSG(i));
  try {
    await withSelected(port, ["a"], async ({ a }) => {
      await t.deliver(user, MSG(3));
      // Message 3 is past what the client knows: BAD, whatever the target.
      assert.deepEqual(await a.cmd("COPY 3 Missing"), [
        "TAG BAD [CLIENTBUG] Invalid message sequence number",
      ]);
      // A NO [TRYCREATE] tells nothing new: the client knows the same two messages after it.
      assert.deepEqual(await a.cmd("COPY 1:* Missing"), ["TAG NO [TRYCREATE] Mailbox does not exist"]);
      assert.deepEqual(await a.cmd("UID MOVE 1:* Missing"), ["TAG NO [TRYCREATE] Mailbox does not exist"]);
      assert.deepEqual(await a.cmd("FETCH * (UID)"), [
        "* 3 EXISTS",
        "* 3 RECENT",
        "* 2 FETCH (UID 2)",
        "TAG OK FETCH completed",
      ]);
    });
  } finally {
    await t.close();
  }
});
