/**
 * The full-text body column changed meaning in issue 11 (the body alone, every text part): a store
 * indexed before is indexed again on open (search_pending migration 2), so a body search no longer
 * matches the subject and finds text the old extraction missed.
 *
 * @module
 */
import assert from "node:assert/strict";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";

const MESSAGE = new TextEncoder().encode(
  "From: a@example.org\r\nTo: b@example.org\r\nSubject: Quarterly zebra report\r\nMIME-Version: 1.0\r\n" +
    "Content-Type: text/x-notes; charset=utf-8\r\n\r\nstriped okapi notes\r\n",
);

Deno.test("SqliteStore indexes every message again after the body column's meaning changed", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-reindex-" });
  try {
    let store = await SqliteStore.open({ dataDir, backgroundIndexing: false });
    await store.addDomain("example.org");
    const acc = await store.createAccount({ address: "bob@example.org", secrets: { passwordHash: "x" } });
    const inboxId = (await store.getMailboxByRole(acc.id, "inbox"))!.id;
    const { blobId } = await store.blobs.put(MESSAGE);
    const [added] = await store.addMessages([{ accountId: acc.id, mailboxIds: [inboxId], blobId }]);
    assert.deepEqual(await store.queryMessages(acc.id, { filter: { body: "okapi" } }), [added!.id]);
    // Make it look like a store indexed before: the old body text (subject first, no text/x-notes
    // part) and the pending table at its first version.
    // (The text a search checks is in message_text_store beside the contentless FTS5 table.)
    store.database.run(
      store.hasFullTextIndex
        ? "UPDATE message_text_store SET body = 'Quarterly zebra report'"
        : "UPDATE message_text SET body = 'Quarterly zebra report'",
    );
    store.database.run("DELETE FROM schema_migrations WHERE component = 'search_pending' AND version > 1");
    assert.deepEqual(await store.queryMessages(acc.id, { filter: { body: "okapi" } }), []);
    await store.close();
    store = await SqliteStore.open({ dataDir, backgroundIndexing: false });
    try {
      assert.deepEqual(await store.queryMessages(acc.id, { filter: { body: "okapi" } }), [added!.id]);
      assert.deepEqual(await store.queryMessages(acc.id, { filter: { body: "zebra" } }), []);
      assert.deepEqual(await store.queryMessages(acc.id, { filter: { subject: "zebra" } }), [added!.id]);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
