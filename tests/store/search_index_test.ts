/**
 * Full-text indexing runs off the delivery path (core/store/sqlite/search_indexer.ts): these tests
 * check that a search never misses a delivered message, whether the index caught up or not.
 *
 * @module
 */
import assert from "node:assert/strict";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { mail } from "./store_contract.ts";

async function setup(store: SqliteStore): Promise<{ accountId: string; inboxId: string }> {
  await store.addDomain("example.org");
  const acc = await store.createAccount({ address: "bob@example.org", secrets: { passwordHash: "x" } });
  return { accountId: acc.id, inboxId: (await store.getMailboxByRole(acc.id, "inbox"))!.id };
}

function pending(store: SqliteStore): number {
  return store.database.get<{ n: number }>("SELECT count(*) AS n FROM search_pending")!.n;
}

for (const fts5 of [true, false]) {
  const label = fts5 ? "" : "(no FTS5) ";
  Deno.test(`SqliteStore ${label}text search sees a message delivered a moment ago`, async () => {
    const dataDir = await Deno.makeTempDir({ prefix: "tern-search-" });
    const store = await SqliteStore.open({ dataDir, fts5, backgroundIndexing: false });
    try {
      const { accountId, inboxId } = await setup(store);
      const { blobId } = await store.blobs.put(mail({ subject: "Quarterly zebra report", body: "striped" }));
      const [added] = await store.addMessages([{ accountId, mailboxIds: [inboxId], blobId }]);
      // Delivered and visible, its search row still pending.
      assert.equal(pending(store), 1);
      for (
        const filter of [{ text: "zebra" }, { body: "striped" }, { subject: "quarterly" }, { from: "alice" }]
      ) {
        assert.deepEqual(
          await store.queryMessages(accountId, { filter }),
          [added!.id],
          JSON.stringify(filter),
        );
      }
      assert.equal(pending(store), 0);
      assert.deepEqual(await store.queryMessages(accountId, { filter: { text: "giraffe" } }), []);
    } finally {
      await store.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  });
}

Deno.test("SqliteStore pending search rows survive a restart and are indexed after it", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-search-" });
  try {
    let store = await SqliteStore.open({ dataDir, backgroundIndexing: false });
    const { accountId, inboxId } = await setup(store);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { blobId } = await store.blobs.put(mail({ subject: `okapi ${i}` }));
      ids.push((await store.addMessages([{ accountId, mailboxIds: [inboxId], blobId }]))[0]!.id);
    }
    await store.close();
    store = await SqliteStore.open({ dataDir, backgroundIndexing: false });
    try {
      assert.equal(pending(store), 3);
      const found = await store.queryMessages(accountId, {
        filter: { text: "okapi" },
        sort: [{ property: "receivedAt", isAscending: true }],
      });
      assert.deepEqual(new Set(found), new Set(ids));
      assert.equal(pending(store), 0);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("SqliteStore indexes in the background once deliveries pause", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-search-" });
  const store = await SqliteStore.open({ dataDir });
  try {
    const { accountId, inboxId } = await setup(store);
    const { blobId } = await store.blobs.put(mail({ subject: "background" }));
    await store.addMessages([{ accountId, mailboxIds: [inboxId], blobId }]);
    await store.searchIndexIdle();
    assert.equal(pending(store), 0);
    // Indexed by the background batch: the table has the row before any search asks for it.
    assert.equal(store.database.get<{ n: number }>("SELECT count(*) AS n FROM message_text")?.n, 1);
  } finally {
    await store.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("SqliteStore a message expunged before indexing leaves nothing pending", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-search-" });
  const store = await SqliteStore.open({ dataDir, backgroundIndexing: false });
  try {
    const { accountId, inboxId } = await setup(store);
    const { blobId } = await store.blobs.put(mail({ subject: "short-lived" }));
    const [added] = await store.addMessages([{ accountId, mailboxIds: [inboxId], blobId }]);
    assert.equal(pending(store), 1);
    await store.expunge(accountId, inboxId, [added!.uids[0]!.uid]);
    assert.equal(pending(store), 0);
    assert.deepEqual(await store.queryMessages(accountId, { filter: { text: "short-lived" } }), []);
  } finally {
    await store.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
