/**
 * Two sessions on one mailbox: updates arrive only where RFC 9051 §7.5.1 allows them, sequence
 * numbers stay consistent, and IDLE wakes up on delivery (SMTP included).
 */
import assert from "node:assert/strict";
import { RawImap, setupImap } from "./_imap_client.ts";
import { python } from "../support/line_client.ts";

const MSG = (n: number) => `From: x@example.org\r\nTo: u@example.org\r\nSubject: n${n}\r\n\r\nbody ${n}\r\n`;

Deno.test("imap EXPUNGE from another session is held back during FETCH, STORE and SEARCH", async () => {
  const { t, user, port } = await setupImap();
  for (let i = 1; i <= 3; i++) await t.deliver(user, MSG(i));
  const a = await RawImap.connect(port);
  const b = await RawImap.connect(port);
  try {
    await a.login();
    await b.login();
    await a.cmd("SELECT INBOX");
    await b.cmd("SELECT INBOX");
    await b.cmd("STORE 2 +FLAGS.SILENT (\\Deleted)");
    assert.deepEqual(await b.cmd("EXPUNGE"), ["* 2 EXPUNGE", "TAG OK EXPUNGE completed"]);
    // Session A still sees 3 messages: FETCH, STORE and SEARCH must not report the EXPUNGE.
    assert.deepEqual(await a.cmd("FETCH 1:* (UID)"), [
      // B's \Deleted, kept by A's expunge hold, is shown (the EXPUNGE itself must wait).
      "* 2 FETCH (UID 2 FLAGS (\\Deleted \\Recent))",
      "* 1 FETCH (UID 1)",
      "* 2 FETCH (UID 2)",
      "* 3 FETCH (UID 3)",
      "TAG OK FETCH completed",
    ]);
    // The expunged message stays fetchable until A is told of the expunge (RFC 2180 §4.1.1).
    assert.deepEqual(await a.cmd("FETCH 1:3 (BODY.PEEK[TEXT])"), [
      "* 1 FETCH (BODY[TEXT] {8}",
      "body 1",
      ")",
      "* 2 FETCH (BODY[TEXT] {8}",
      "body 2",
      ")",
      "* 3 FETCH (BODY[TEXT] {8}",
      "body 3",
      ")",
      "TAG OK FETCH completed",
    ]);
    const st = await a.cmd("STORE 3 +FLAGS (\\Flagged)");
    // A selected first, so it has the three messages as \Recent (RFC 3501 §2.3.2).
    assert.deepEqual(st, ["* 3 FETCH (FLAGS (\\Flagged \\Recent))", "TAG OK STORE completed"]);
    assert.deepEqual(await a.cmd("SEARCH FLAGGED"), ["* SEARCH 3", "TAG OK SEARCH completed"]);
    // NOOP is where the EXPUNGE is delivered; numbers then shift.
    assert.deepEqual(await a.cmd("NOOP"), ["* 2 EXPUNGE", "* 2 RECENT", "TAG OK NOOP completed"]);
    assert.deepEqual(await a.cmd("FETCH 2 (UID FLAGS)"), [
      "* 2 FETCH (UID 3 FLAGS (\\Flagged \\Recent))",
      "TAG OK FETCH completed",
    ]);
    // B sees A's flag change and a new message at its next command.
    await t.deliver(user, MSG(4));
    assert.deepEqual(await b.cmd("NOOP"), [
      "* 3 EXISTS",
      "* 1 RECENT",
      "* 2 FETCH (UID 3 FLAGS (\\Flagged))",
      "TAG OK NOOP completed",
    ]);
    // UID FETCH may carry the pending EXPUNGE (RFC 9051 §7.5.1).
    await b.cmd("UID STORE 1 +FLAGS.SILENT (\\Deleted)");
    await b.cmd("EXPUNGE");
    const uf = await a.cmd("UID FETCH 1:* (FLAGS)");
    assert.ok(uf.includes("* 1 EXPUNGE"), uf.join("\n"));
    // A MOVE by another session is an EXPUNGE here, and the moved message appears in the target.
    await b.cmd("MOVE 1 Archive");
    assert.deepEqual(await a.cmd("NOOP"), ["* 1 EXPUNGE", "* 0 RECENT", "TAG OK NOOP completed"]);
    assert.deepEqual(await a.cmd("STATUS Archive (MESSAGES)"), [
      "* STATUS Archive (MESSAGES 1)",
      "TAG OK STATUS completed",
    ]);
  } finally {
    a.close();
    b.close();
    await t.close();
  }
});

Deno.test("imap IDLE wakes up on SMTP delivery and another session's flag change", async () => {
  const { t, port } = await setupImap();
  const a = await RawImap.connect(port);
  const b = await RawImap.connect(port);
  try {
    await a.login();
    await b.login();
    await a.cmd("SELECT INBOX");
    await a.c.line("i1 IDLE");
    assert.equal(await a.c.read(), "+ idling");
    await python(
      `import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10)
s.sendmail("x@example.net", ["u@example.org"], "From: x@example.net\\r\\nSubject: hi\\r\\n\\r\\nhello\\r\\n")
s.quit()`,
      [String(t.port("smtp"))],
    );
    assert.equal(await a.c.read(), "* 1 EXISTS");
    // The IDLE session saw the delivery first and claims it as \Recent (RFC 3501 §2.3.2).
    assert.equal(await a.c.read(), "* 1 RECENT");
    await b.cmd("SELECT INBOX");
    await b.cmd("STORE 1 +FLAGS.SILENT (\\Seen)");
    assert.equal(await a.c.read(), "* 1 FETCH (UID 1 FLAGS (\\Seen \\Recent))");
    await a.c.line("DONE");
    assert.deepEqual(await a.until("i1"), ["TAG OK IDLE terminated"]);
  } finally {
    a.close();
    b.close();
    await t.close();
  }
});

Deno.test("imap sessions in IDLE get BYE on server shutdown", async () => {
  const { t, port } = await setupImap();
  const a = await RawImap.connect(port);
  try {
    await a.login();
    await a.cmd("SELECT INBOX");
    await a.c.line("i1 IDLE");
    assert.equal(await a.c.read(), "+ idling");
    const stopping = t.srv.stop({ graceSeconds: 0 });
    assert.equal(await a.c.read(), "* BYE Server shutting down");
    assert.equal(await a.c.read(), null);
    await stopping;
  } finally {
    a.close();
    await t.close();
  }
});

Deno.test("imap a session whose selected mailbox is deleted elsewhere gets BYE", async () => {
  const { t, port } = await setupImap();
  const a = await RawImap.connect(port);
  const b = await RawImap.connect(port);
  try {
    await a.login();
    await b.login();
    await a.cmd("CREATE Doomed");
    await a.cmd("SELECT Doomed");
    assert.deepEqual(await b.cmd("DELETE Doomed"), ["TAG OK DELETE completed"]);
    assert.deepEqual(await a.cmd("NOOP"), [
      "* BYE Selected mailbox was deleted",
      "TAG NO [NONEXISTENT] Selected mailbox was deleted",
    ]);
    assert.equal(await a.c.read(), null);
  } finally {
    a.close();
    b.close();
    await t.close();
  }
});
