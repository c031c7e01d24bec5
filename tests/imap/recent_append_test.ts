/**
 * \Recent after an APPEND to the selected mailbox (RFC 3501 §2.3.2): the appending IMAP4rev1
 * session is the first told of its message, so the message is recent there and nowhere else, and
 * the claim is made with the APPEND (`Store.claimAllRecent`), not by a claim of its own afterwards.
 */
import assert from "node:assert/strict";
import { RawImap, setupImap } from "./_imap_client.ts";

const MSG = (n: number) => `From: x@example.org\r\nTo: u@example.org\r\nSubject: n${n}\r\n\r\nbody ${n}\r\n`;

async function append(c: RawImap, tag: string, msg: string): Promise<string[]> {
  await c.c.line(`${tag} APPEND INBOX {${msg.length}+}`);
  await c.c.line(msg);
  return await c.until(tag);
}

Deno.test("imap \\Recent: an APPEND to the selected mailbox is recent in the appending session only, claimed with the APPEND", async () => {
  const { t, user, port } = await setupImap();
  await t.deliver(user, MSG(1));
  const store = t.srv.context.store;
  // Counts the separate claims (with `upTo`) the sessions make; the real claim still runs.
  let separateClaims = 0;
  const claimRecent = store.claimRecent.bind(store);
  store.claimRecent = (accountId, id, upTo) => {
    if (upTo !== undefined) separateClaims++;
    return claimRecent(accountId, id, upTo);
  };
  const a = await RawImap.connect(port);
  const b = await RawImap.connect(port);
  const c = await RawImap.connect(port);
  try {
    await a.login();
    await b.login();
    await a.cmd("SELECT INBOX");
    assert.ok((await b.cmd("SELECT INBOX")).includes("* 0 RECENT"));
    // Message 2 arrives unseen by anyone; A's APPEND of message 3 tells A of both first.
    await t.deliver(user, MSG(2));
    const before = separateClaims;
    const r = await append(a, "a1", MSG(3));
    assert.equal(r.length, 3, r.join("\n"));
    assert.equal(r[0], "* 3 EXISTS");
    assert.equal(r[1], "* 3 RECENT");
    assert.match(r[2]!, /^TAG OK \[APPENDUID \d+ 3\] APPEND completed$/);
    // Where the claim can ride the APPEND's commit (SQLite), no claim of its own follows.
    if (store.claimAllRecent) assert.equal(separateClaims - before, 0, "no claim after the APPEND");
    assert.deepEqual(await a.cmd("FETCH 1:3 (FLAGS)"), [
      "* 1 FETCH (FLAGS (\\Recent))",
      "* 2 FETCH (FLAGS (\\Recent))",
      "* 3 FETCH (FLAGS (\\Recent))",
      "TAG OK FETCH completed",
    ]);
    // B learns of them after A claimed them: not recent there.
    assert.deepEqual(await b.cmd("NOOP"), ["* 3 EXISTS", "TAG OK NOOP completed"]);
    assert.deepEqual(await b.cmd("FETCH 2:3 (FLAGS)"), [
      "* 2 FETCH (FLAGS ())",
      "* 3 FETCH (FLAGS ())",
      "TAG OK FETCH completed",
    ]);
    // An IMAP4rev2 session has no \Recent: its APPEND claims nothing, and the message stays
    // recent for the next IMAP4rev1 session to learn of it.
    await c.login();
    await c.cmd("ENABLE IMAP4rev2");
    await c.cmd("SELECT INBOX");
    const r2 = await append(c, "c1", MSG(4));
    assert.match(r2.at(-1)!, /^TAG OK \[APPENDUID \d+ 4\] APPEND completed$/);
    assert.deepEqual(await b.cmd("NOOP"), ["* 4 EXISTS", "* 1 RECENT", "TAG OK NOOP completed"]);
    assert.deepEqual(await a.cmd("NOOP"), ["* 4 EXISTS", "TAG OK NOOP completed"]);
    // Appending to another mailbox than the selected one claims nothing either.
    await a.cmd("CREATE Other");
    await a.c.line(`a2 APPEND Other {${MSG(5).length}+}`);
    await a.c.line(MSG(5));
    assert.match((await a.until("a2")).at(-1)!, /^TAG OK /);
    assert.ok((await b.cmd("SELECT Other")).includes("* 1 RECENT"));
  } finally {
    a.close();
    b.close();
    c.close();
    await t.close();
  }
});
