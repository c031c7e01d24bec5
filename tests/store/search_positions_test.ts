/**
 * The FTS5 search table keeps trigrams without their positions (`detail=none`, issue 14: a third
 * of the disk of a positional index). The index then only narrows the rows to those holding every
 * trigram of the needle; the substring itself is checked on the stored text, so a search finds
 * exactly what a positional phrase match found. Stores indexed with positions are rebuilt on open
 * (search_pending migration 3).
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

Deno.test("SqliteStore text search: every trigram of the needle but not the needle is no match", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-search-pos-" });
  const store = await SqliteStore.open({ dataDir, backgroundIndexing: false });
  try {
    assert.ok(store.hasFullTextIndex);
    const sql = store.database.get<{ sql: string }>(
      "SELECT sql FROM sqlite_master WHERE name = 'message_text'",
    )!;
    assert.match(sql.sql, /detail = none/);
    assert.match(sql.sql, /contentless_delete = 1/);
    const { accountId, inboxId } = await setup(store);
    const add = async (subject: string, body: string) => {
      const { blobId } = await store.blobs.put(mail({ subject, body }));
      return (await store.addMessages([{ accountId, mailboxIds: [inboxId], blobId }]))[0]!.id;
    };
    // "stripe" and "tiger" spread over the text: every trigram of "striped tiger" is there.
    const scattered = await add("Zoo news", "stripe ed tig iger d t ped  ti");
    const phrase = await add("Big cats", "A STRIPED Tiger sleeps. Élan vital.");
    const q = async (filter: Record<string, string>) =>
      (await store.queryMessages(accountId, { filter })).sort();
    assert.deepEqual(await q({ text: "striped tiger" }), [phrase]);
    assert.deepEqual(await q({ body: "striped tiger" }), [phrase]);
    // Case-insensitive, ASCII and not.
    assert.deepEqual(await q({ body: "sTrIpEd" }), [phrase]);
    assert.deepEqual(await q({ body: "élan VITAL" }), [phrase]);
    assert.deepEqual(await q({ text: "ÉLAN" }), [phrase]);
    // Column-restricted: the words are in the subject of one and the body of the other.
    assert.deepEqual(await q({ subject: "big cats" }), [phrase]);
    assert.deepEqual(await q({ body: "big cats" }), []);
    assert.deepEqual(await q({ body: "stripe ed" }), [scattered]);
    assert.deepEqual(await q({ text: "stripe" }), [scattered, phrase].sort());
    // LIKE wildcards in a needle are plain characters.
    assert.deepEqual(await q({ body: "str%ed" }), []);
  } finally {
    await store.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("SqliteStore a search table with token positions is rebuilt without them on open", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-search-pos-" });
  try {
    let store = await SqliteStore.open({ dataDir, backgroundIndexing: false });
    const { accountId, inboxId } = await setup(store);
    const { blobId } = await store.blobs.put(mail({ subject: "Quarterly zebra report", body: "okapi" }));
    const [added] = await store.addMessages([{ accountId, mailboxIds: [inboxId], blobId }]);
    assert.deepEqual(await store.queryMessages(accountId, { filter: { body: "okapi" } }), [added!.id]);
    // Make it look like a store from before: the positional table, indexed, migration 3 not applied.
    const db = store.database;
    db.exec("DROP TABLE message_text");
    db.exec(`CREATE VIRTUAL TABLE message_text USING fts5(
      subject, addr_from, addr_to, addr_cc, addr_bcc, body, tokenize = 'trigram')`);
    db.run(
      "INSERT INTO message_text (rowid, subject, body) SELECT blob_id, 'Quarterly zebra report', 'okapi' FROM messages",
    );
    // (Nor migration 4, which came after: the text moved beside a contentless table.)
    db.run("DELETE FROM schema_migrations WHERE component = 'search_pending' AND version >= 3");
    await store.close();
    store = await SqliteStore.open({ dataDir, backgroundIndexing: false });
    try {
      const sql = store.database.get<{ sql: string }>(
        "SELECT sql FROM sqlite_master WHERE name = 'message_text'",
      )!;
      assert.match(sql.sql, /detail = none/);
      // Emptied and queued again: the first text search indexes the message anew.
      assert.equal(store.database.get<{ n: number }>("SELECT count(*) AS n FROM search_pending")!.n, 1);
      assert.deepEqual(await store.queryMessages(accountId, { filter: { body: "okapi" } }), [added!.id]);
      assert.deepEqual(await store.queryMessages(accountId, { filter: { subject: "zebra" } }), [added!.id]);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
