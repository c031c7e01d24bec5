/**
 * A big mailbox across server restarts: the restarted server's first SELECT starts from the
 * placement snapshot (core/store/sqlite/placement_snapshot.ts) brought up to date with what changed
 * while it was down, and must show exactly what a server without any snapshot shows.
 */
import assert from "node:assert/strict";
import { hashPassword } from "../../core/auth/password.ts";
import { testConfig } from "../../core/config/test_config.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { createServer } from "../../protocols/server.ts";
import { RawImap } from "./_imap_client.ts";

const enc = new TextEncoder();
const MSG = (n: number) =>
  enc.encode(`Subject: r${n}\r\nMessage-ID: <r${n}@example.org>\r\n\r\nbody ${n}\r\n`);

/** Runs a server over `store` (left open) and returns what a client sees of the Inbox. */
async function inboxAsSeen(dataDir: string, store: SqliteStore): Promise<string[]> {
  const srv = await createServer(testConfig(dataDir, { local_domains: ["example.org"] }), undefined, {
    store,
    logger: nullLogger,
  });
  await srv.start();
  const c = await RawImap.connect(srv.addresses.imap!.port);
  try {
    await c.login();
    const select = await c.cmd("SELECT INBOX (CONDSTORE)");
    const fetch = await c.cmd("FETCH 1:* (UID FLAGS MODSEQ INTERNALDATE RFC822.SIZE EMAILID)");
    await c.cmd("LOGOUT");
    // \Recent belongs to whichever SELECT came first (RFC 3501 §2.3.2), so it is left out here.
    return [...select, ...fetch].filter((l) => !/^\* \d+ RECENT$/.test(l))
      .map((l) => l.replace(/ \\Recent\b|\\Recent ?/, ""));
  } finally {
    c.close();
    await srv.stop({ graceSeconds: 0 });
  }
}

const open = (dataDir: string) => SqliteStore.open({ dataDir, snapshotMinPlacements: 10 });

Deno.test("imap SELECT after a restart shows what a server without snapshot shows", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-imap-restart-" });
  try {
    let store = await open(dataDir);
    await store.addDomain("example.org");
    const passwordHash = await hashPassword("s3cret pass");
    const user = await store.createAccount({ address: "u@example.org", secrets: { passwordHash } });
    const inbox = (await store.getMailboxByRole(user.id, "inbox"))!;
    const blobs: string[] = [];
    for (let i = 0; i < 30; i++) blobs.push((await store.blobs.put(MSG(i))).blobId);
    await store.addMessages(blobs.map((blobId, i) => ({
      accountId: user.id,
      mailboxIds: [inbox.id],
      blobId,
      keywords: i % 2 ? ["$seen"] : ["$flagged", "work"],
      receivedAt: new Date(Date.UTC(2026, 0, 1, 0, i)),
    })));
    const before = await inboxAsSeen(dataDir, store); // first SELECT: full load, snapshot written
    await store.close();

    // While the server is down: a delivery, flag changes and expunges.
    store = await open(dataDir);
    const snapshotModseq = store.database.get<{ m: number }>(
      "SELECT highest_modseq AS m FROM placement_snapshots",
    )?.m;
    assert.ok(snapshotModseq);
    const extra = await store.blobs.put(MSG(99));
    await store.addMessages([{ accountId: user.id, mailboxIds: [inbox.id], blobId: extra.blobId }]);
    const some = await store.listPlacements(user.id, inbox.id, { minUid: 3, maxUid: 6 });
    await store.updateKeywords(user.id, some.map((p) => p.messageId), { set: ["$answered", "later"] });
    await store.expunge(user.id, inbox.id, [1, 10, 11]);
    await store.close();

    store = await open(dataDir);
    let afterRestart: string[];
    try {
      assert.equal(
        store.database.get<{ m: number }>("SELECT highest_modseq AS m FROM placement_snapshots")?.m,
        snapshotModseq,
        "the snapshot is stale when the restarted server lists the mailbox",
      );
      afterRestart = await inboxAsSeen(dataDir, store);
    } finally {
      await store.close();
    }

    // The reference: the same data dir without any snapshot.
    store = await open(dataDir);
    let reference: string[];
    try {
      store.database.run("DELETE FROM placement_snapshots");
      reference = await inboxAsSeen(dataDir, store);
    } finally {
      await store.close();
    }
    assert.deepEqual(afterRestart, reference);
    assert.ok(afterRestart.includes("* 28 EXISTS"), afterRestart.join("\n"));
    assert.ok(afterRestart.some((l) => l.includes("FLAGS (\\Answered later)")));
    assert.notDeepEqual(afterRestart, before);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
