/**
 * A session's own EXPUNGE (RFC 9051 §6.4.3) reports what it removes in its response, so the
 * session's expunge hold (RFC 2180 §4.1.1) keeps nothing of it: the blob goes in the expunge's own
 * write job, with no second job to release it. Another session's hold still keeps it.
 */
import assert from "node:assert/strict";
import { RawImap, setupImap } from "./_imap_client.ts";
import type { Store } from "../../core/store/store.ts";

/** Write jobs the SQLite store has run (the default test store); null on another backend. */
function writeJobs(store: unknown): number | null {
  const stats = (store as { writeStats?: { jobs: number } }).writeStats;
  return stats ? stats.jobs : null;
}

async function countBlobs(store: Store): Promise<number> {
  let n = 0;
  for await (const _ of store.blobs.list()) n++;
  return n;
}

Deno.test("imap a session's own EXPUNGE releases the blob in its own write job; another session still holds it", async () => {
  const { t, user, port } = await setupImap();
  for (let i = 1; i <= 3; i++) await t.deliver(user, `Subject: n${i}\r\n\r\nbody ${i}\r\n`);
  const store = t.srv.context.store;
  const a = await RawImap.connect(port);
  const b = await RawImap.connect(port);
  try {
    await a.login();
    await a.cmd("SELECT INBOX");
    await a.cmd("STORE 1 +FLAGS.SILENT (\\Deleted)");
    // Background indexing of the delivered messages also uses the write queue.
    await (store as { searchIndexIdle?: () => Promise<void> }).searchIndexIdle?.();
    const blobs = await countBlobs(store);
    const before = writeJobs(store);
    assert.deepEqual(await a.cmd("EXPUNGE"), ["* 1 EXPUNGE", "* 2 RECENT", "TAG OK EXPUNGE completed"]);
    // A write queued now runs after anything the EXPUNGE queued.
    await store.updateKeywords(user.id, [], { add: [] });
    if (before !== null) assert.equal(writeJobs(store)! - before, 2, "the EXPUNGE took one write job");
    assert.equal(await countBlobs(store), blobs - 1);

    // With B selected too, A's expunge is held for B until B is told.
    await b.login();
    await b.cmd("SELECT INBOX");
    await a.cmd("STORE 1 +FLAGS.SILENT (\\Deleted)");
    assert.deepEqual(await a.cmd("EXPUNGE"), ["* 1 EXPUNGE", "* 1 RECENT", "TAG OK EXPUNGE completed"]);
    assert.equal(await countBlobs(store), blobs - 1);
    assert.deepEqual(await b.cmd("FETCH 1 (BODY.PEEK[TEXT])"), [
      "* 1 FETCH (UID 2 FLAGS (\\Deleted))",
      "* 1 FETCH (BODY[TEXT] {8}",
      "body 2",
      ")",
      "TAG OK FETCH completed",
    ]);
    assert.deepEqual(await b.cmd("NOOP"), ["* 1 EXPUNGE", "TAG OK NOOP completed"]);
    // B let go: nothing keeps the blob (garbage collection takes it if the release has not yet).
    await store.collectGarbage();
    assert.equal(await countBlobs(store), blobs - 2);
  } finally {
    a.close();
    b.close();
    await t.close();
  }
});
