/**
 * STORE that changes no flag (RFC 9051 §6.4.6, RFC 7162 §3.1.3): answered from the session's view,
 * brought up to date first, without a store write; a real change still goes to the store.
 */
import assert from "node:assert/strict";
import { RawImap, setupImap } from "./_imap_client.ts";

/** Write jobs the SQLite store has run (the default test store); null on another backend. */
function writeJobs(store: unknown): number | null {
  const stats = (store as { writeStats?: { jobs: number } }).writeStats;
  return stats ? stats.jobs : null;
}

Deno.test("imap STORE: a change that leaves every flag as it is writes nothing and answers the same", async () => {
  const { t, user, port } = await setupImap();
  for (let i = 1; i <= 2; i++) await t.deliver(user, `Subject: n${i}\r\n\r\nbody ${i}\r\n`);
  const store = t.srv.context.store;
  const a = await RawImap.connect(port);
  const b = await RawImap.connect(port);
  try {
    await a.login();
    await b.login();
    await a.cmd("SELECT INBOX");
    await b.cmd("SELECT INBOX");
    assert.deepEqual(await a.cmd("STORE 1 +FLAGS (\\Seen)"), [
      "* 1 FETCH (FLAGS (\\Seen \\Recent))",
      "TAG OK STORE completed",
    ]);
    // Background indexing of the delivered messages also uses the write queue.
    await (store as { searchIndexIdle?: () => Promise<void> }).searchIndexIdle?.();
    const before = writeJobs(store);
    // Already \Seen; \Flagged was never set; FLAGS replaces with the same list.
    assert.deepEqual(await a.cmd("STORE 1 +FLAGS (\\Seen)"), [
      "* 1 FETCH (FLAGS (\\Seen \\Recent))",
      "TAG OK STORE completed",
    ]);
    assert.deepEqual(await a.cmd("STORE 1:2 -FLAGS.SILENT (\\Flagged)"), ["TAG OK STORE completed"]);
    assert.deepEqual(await a.cmd("UID STORE 1 FLAGS (\\Seen)"), [
      "* 1 FETCH (FLAGS (\\Seen \\Recent) UID 1)",
      "TAG OK STORE completed",
    ]);
    if (before !== null) assert.equal(writeJobs(store), before, "no-op STOREs queued store writes");

    // Another session sets \Flagged: this session's STORE sees that change first, so adding
    // \Flagged again is a no-op answered with the flags as they now are.
    await b.cmd("STORE 1 +FLAGS.SILENT (\\Flagged)");
    assert.deepEqual(await a.cmd("STORE 1 +FLAGS (\\Flagged)"), [
      "* 1 FETCH (UID 1 FLAGS (\\Seen \\Flagged \\Recent))",
      "* 1 FETCH (FLAGS (\\Seen \\Flagged \\Recent))",
      "TAG OK STORE completed",
    ]);

    // A change to one message of the set goes to the store (message 2 gains \Seen).
    const mid = writeJobs(store);
    assert.deepEqual(await a.cmd("STORE 1:2 +FLAGS (\\Seen)"), [
      "* 1 FETCH (FLAGS (\\Seen \\Flagged \\Recent))",
      "* 2 FETCH (FLAGS (\\Seen \\Recent))",
      "TAG OK STORE completed",
    ]);
    if (mid !== null) assert.ok(writeJobs(store)! > mid);
    const check = await b.cmd("FETCH 1:2 (FLAGS)");
    assert.ok(check.includes("* 2 FETCH (FLAGS (\\Seen))"), check.join("\n"));
  } finally {
    a.close();
    b.close();
    await t.close();
  }
});
