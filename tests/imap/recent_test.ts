/**
 * \Recent for IMAP4rev1 sessions (RFC 3501 §2.3.2): exactly one session sees a new message as
 * recent — the first to SELECT the mailbox, or the selected session that learns of it first —
 * while EXAMINE and STATUS show what is still unclaimed; IMAP4rev2 sessions have none (RFC 9051).
 */
import assert from "node:assert/strict";
import { RawImap, setupImap } from "./_imap_client.ts";
import { python } from "../support/line_client.ts";

const MSG = (n: number) => `From: x@example.org\r\nTo: u@example.org\r\nSubject: n${n}\r\n\r\nbody ${n}\r\n`;

Deno.test("imap \\Recent: SELECT claims new messages for one session; EXAMINE and STATUS show the unclaimed", async () => {
  const { t, user, port } = await setupImap();
  for (let i = 1; i <= 2; i++) await t.deliver(user, MSG(i));
  const a = await RawImap.connect(port);
  const b = await RawImap.connect(port);
  try {
    await a.login();
    await b.login();
    assert.deepEqual(await b.cmd("STATUS INBOX (MESSAGES RECENT)"), [
      "* STATUS INBOX (MESSAGES 2 RECENT 2)",
      "TAG OK STATUS completed",
    ]);
    // EXAMINE shows them as recent without claiming them.
    const ex = await b.cmd("EXAMINE INBOX");
    assert.ok(ex.includes("* 2 RECENT"), ex.join("\n"));
    assert.deepEqual(await b.cmd("FETCH 1:* (FLAGS)"), [
      "* 1 FETCH (FLAGS (\\Recent))",
      "* 2 FETCH (FLAGS (\\Recent))",
      "TAG OK FETCH completed",
    ]);
    // The first SELECT claims them.
    const sel = await a.cmd("SELECT INBOX");
    assert.ok(sel.includes("* 2 RECENT"), sel.join("\n"));
    assert.deepEqual(await a.cmd("SEARCH RECENT"), ["* SEARCH 1 2", "TAG OK SEARCH completed"]);
    assert.deepEqual(await a.cmd("STORE 1 +FLAGS (\\Seen)"), [
      "* 1 FETCH (FLAGS (\\Seen \\Recent))",
      "TAG OK STORE completed",
    ]);
    assert.deepEqual(await a.cmd("SEARCH NEW"), ["* SEARCH 2", "TAG OK SEARCH completed"]);
    assert.deepEqual(await a.cmd("SEARCH OLD"), ["* SEARCH", "TAG OK SEARCH completed"]);
    // A later SELECT gets none of them; STATUS has nothing unclaimed.
    const again = await b.cmd("SELECT INBOX");
    assert.ok(again.includes("* 0 RECENT"), again.join("\n"));
    assert.deepEqual(await b.cmd("FETCH 1:* (FLAGS)"), [
      "* 1 FETCH (FLAGS (\\Seen))",
      "* 2 FETCH (FLAGS ())",
      "TAG OK FETCH completed",
    ]);
    assert.deepEqual(await b.cmd("SEARCH OLD"), ["* SEARCH 1 2", "TAG OK SEARCH completed"]);
    assert.deepEqual(await b.cmd("STATUS INBOX (RECENT)"), [
      "* STATUS INBOX (RECENT 0)",
      "TAG OK STATUS completed",
    ]);
  } finally {
    a.close();
    b.close();
    await t.close();
  }
});

Deno.test("imap \\Recent: new mail is recent in exactly one of two selected sessions", async () => {
  const { t, user, port } = await setupImap();
  await t.deliver(user, MSG(1));
  const a = await RawImap.connect(port);
  const b = await RawImap.connect(port);
  try {
    await a.login();
    await b.login();
    await a.cmd("SELECT INBOX");
    assert.ok((await b.cmd("SELECT INBOX")).includes("* 0 RECENT"));
    await t.deliver(user, MSG(2));
    // B learns of the new message first and claims it; A is told only EXISTS.
    assert.deepEqual(await b.cmd("NOOP"), ["* 2 EXISTS", "* 1 RECENT", "TAG OK NOOP completed"]);
    assert.deepEqual(await a.cmd("NOOP"), ["* 2 EXISTS", "TAG OK NOOP completed"]);
    assert.deepEqual(await a.cmd("FETCH 1:2 (FLAGS)"), [
      "* 1 FETCH (FLAGS (\\Recent))",
      "* 2 FETCH (FLAGS ())",
      "TAG OK FETCH completed",
    ]);
    assert.deepEqual(await b.cmd("FETCH 1:2 (FLAGS)"), [
      "* 1 FETCH (FLAGS ())",
      "* 2 FETCH (FLAGS (\\Recent))",
      "TAG OK FETCH completed",
    ]);
    // Python's imaplib (rev1) sees the RECENT count of a fresh SELECT: none left.
    const out = await python(
      `import imaplib, sys
M = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
M.login("u@example.org", "s3cret pass")
M.select("INBOX")
print(M.response("RECENT")[1][0].decode())
M.logout()`,
      [String(port)],
    );
    assert.equal(out.trim(), "0");
  } finally {
    a.close();
    b.close();
    await t.close();
  }
});

Deno.test("imap \\Recent is not used by IMAP4rev2 sessions, which leave the messages unclaimed", async () => {
  const { t, user, port } = await setupImap();
  await t.deliver(user, MSG(1));
  const a = await RawImap.connect(port);
  const b = await RawImap.connect(port);
  try {
    await a.login();
    await b.login();
    await a.cmd("ENABLE IMAP4rev2");
    const sel = await a.cmd("SELECT INBOX");
    assert.ok(!sel.some((l) => l.endsWith(" RECENT")), sel.join("\n"));
    assert.deepEqual(await a.cmd("FETCH 1 (FLAGS)"), ["* 1 FETCH (FLAGS ())", "TAG OK FETCH completed"]);
    // The rev1 session still gets it as recent.
    assert.ok((await b.cmd("SELECT INBOX")).includes("* 1 RECENT"));
  } finally {
    a.close();
    b.close();
    await t.close();
  }
});
