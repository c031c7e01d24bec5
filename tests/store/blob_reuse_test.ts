/**
 * Content-addressed blobs on SQLite: a `blobs.put` whose bytes are those of a message being
 * expunged elsewhere keeps them until a message references them. This is an IMAP APPEND of bytes
 * identical to the last copy of a message expunged from another mailbox between the APPEND's put
 * and its `addMessages` (it answered `NO [NONEXISTENT]` under load), in both blob tiers. A put no
 * message ever references is still collected after the grace period.
 *
 * @module
 */
import assert from "node:assert/strict";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { mail } from "./store_contract.ts";

/** A message of at least `size` bytes (the file tier starts above 64 KiB). */
function message(size: number): Uint8Array {
  return mail({ subject: "Same bytes twice", body: "x".repeat(76) + "\r\n".repeat(1) + "y".repeat(size) });
}

for (const [tier, size] of [["inline", 2_000], ["file", 100_000]] as const) {
  Deno.test(`SqliteStore a put of bytes whose last copy is expunged before addMessages is still stored (${tier} tier)`, async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "tern-blob-reuse-" });
    const store = await SqliteStore.open({ dataDir });
    try {
      await store.addDomain("example.org");
      const acc = await store.createAccount({ address: "bob@example.org", secrets: { passwordHash: "x" } });
      const a = await store.createMailbox(acc.id, { name: "A" });
      const b = await store.createMailbox(acc.id, { name: "B" });
      const raw = message(size);
      const first = await store.storeMessages(raw, [{ accountId: acc.id, mailboxIds: [a.id] }]);
      // APPEND to B: the put of the same bytes is durable ...
      const put = await store.blobs.put(raw);
      assert.equal(put.blobId, first.blobId);
      // ... then the last message holding those bytes is expunged from A and commits ...
      const uid = first.added[0]!.uids[0]!.uid;
      assert.deepEqual((await store.expunge(acc.id, a.id, [uid])).uids, [uid]);
      // ... and the APPEND's message commits over the blob it put.
      const [added] = await store.addMessages([{
        accountId: acc.id,
        mailboxIds: [b.id],
        blobId: put.blobId,
      }]);
      assert.ok(added);
      assert.deepEqual(await store.blobs.get(put.blobId), raw);
      // Expunging the new message (no put pending now) gives the bytes back at once.
      await store.expunge(acc.id, b.id, [added.uids[0]!.uid]);
      assert.equal(await store.blobs.has(put.blobId), false);
    } finally {
      await store.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  });
}

Deno.test("SqliteStore a pending put keeps its bytes through garbage collection; the grace period bounds it", async () => {
  for (const blobGraceMs of [3_600_000, 0]) {
    const dataDir = await Deno.makeTempDir({ prefix: "tern-blob-reuse-" });
    const store = await SqliteStore.open({ dataDir, blobGraceMs });
    try {
      await store.addDomain("example.org");
      const acc = await store.createAccount({ address: "bob@example.org", secrets: { passwordHash: "x" } });
      const a = await store.createMailbox(acc.id, { name: "A" });
      const raw = message(2_000);
      const first = await store.storeMessages(raw, [{ accountId: acc.id, mailboxIds: [a.id] }]);
      // The first copy's bytes are older than the grace period: the new put renews their age.
      store.database.transaction(() => store.database.run("UPDATE blob_data SET created_at = 0"));
      await store.blobs.put(raw);
      await store.expunge(acc.id, a.id, [first.added[0]!.uids[0]!.uid]);
      await store.collectGarbage();
      // Within the grace period the put keeps the bytes; with none, nothing does.
      assert.equal(await store.blobs.has(first.blobId), blobGraceMs > 0, `grace ${blobGraceMs} ms`);
    } finally {
      await store.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  }
});
