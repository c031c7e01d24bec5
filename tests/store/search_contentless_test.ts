/**
 * The FTS5 search table is contentless (`contentless_delete=1`) with its text in
 * `message_text_store`: a store from before (search_pending migration 3: the text inside the FTS5
 * table) is rebuilt on open and indexed again, searches still check the substring on the text, and
 * an expunged message takes its index entry and its text with it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { mail } from "./store_contract.ts";

async function setup(store: SqliteStore) {
  await store.addDomain("example.org");
  const acc = await store.createAccount({ address: "bob@example.org", secrets: { passwordHash: "x" } });
  return { accountId: acc.id, inboxId: (await store.getMailboxByRole(acc.id, "inbox"))!.id };
}

const count = (store: SqliteStore, sql: string) => store.database.get<{ n: number }>(sql)!.n;

Deno.test("SqliteStore a search table that kept its text (migration 3) becomes contentless on open and is indexed again", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-search-cl-" });
  try {
    let store = await SqliteStore.open({ dataDir, backgroundIndexing: false });
    const { accountId, inboxId } = await setup(store);
    const { blobId } = await store.blobs.put(
      mail({ subject: "Quarterly zebra report", body: "striped okapi" }),
    );
    const [added] = await store.addMessages([{ accountId, mailboxIds: [inboxId], blobId }]);
    assert.deepEqual(await store.queryMessages(accountId, { filter: { body: "okapi" } }), [added!.id]);
    // A store of the version before: the text inside the FTS5 table, no text table, migration 4 not applied.
    const db = store.database;
    db.exec("DROP TABLE message_text_store");
    db.exec("DROP TABLE message_text");
    db.exec(`CREATE VIRTUAL TABLE message_text USING fts5(
      subject, addr_from, addr_to, addr_cc, addr_bcc, body, tokenize = 'trigram', detail = none)`);
    db.run("INSERT INTO message_text (rowid, subject, body) SELECT blob_id, 'Old', 'old text' FROM messages");
    db.run("DELETE FROM schema_migrations WHERE component = 'search_pending' AND version = 4");
    await store.close();
    store = await SqliteStore.open({ dataDir, backgroundIndexing: false });
    try {
      const sql = store.database.get<{ sql: string }>(
        "SELECT sql FROM sqlite_master WHERE name = 'message_text'",
      )!;
      assert.match(sql.sql, /content = ''/);
      assert.match(sql.sql, /contentless_delete = 1/);
      assert.equal(count(store, "SELECT count(*) AS n FROM search_pending"), 1);
      assert.deepEqual(await store.queryMessages(accountId, { filter: { body: "okapi" } }), [added!.id]);
      assert.deepEqual(await store.queryMessages(accountId, { filter: { body: "old text" } }), []);
      assert.deepEqual(await store.queryMessages(accountId, { filter: { subject: "zebra" } }), [added!.id]);
      assert.equal(count(store, "SELECT count(*) AS n FROM message_text_store"), 1);
      // The FTS5 table keeps no text: its columns read as NULL.
      assert.equal(store.database.get<{ body: string | null }>("SELECT body FROM message_text")?.body, null);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("SqliteStore an expunged message leaves the search: its index entry and its text go", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-search-cl-" });
  const store = await SqliteStore.open({ dataDir, backgroundIndexing: false });
  try {
    const { accountId, inboxId } = await setup(store);
    const ids: string[] = [];
    const uids: number[] = [];
    for (const body of ["striped okapi one", "striped okapi two"]) {
      const { blobId } = await store.blobs.put(mail({ subject: "s", body }));
      const added = (await store.addMessages([{ accountId, mailboxIds: [inboxId], blobId }]))[0]!;
      ids.push(added.id);
      uids.push(added.uids[0]!.uid);
    }
    assert.deepEqual(
      (await store.queryMessages(accountId, { filter: { text: "okapi" } })).sort(),
      [...ids].sort(),
    );
    await store.expunge(accountId, inboxId, [uids[0]!]);
    assert.deepEqual(await store.queryMessages(accountId, { filter: { text: "okapi" } }), [ids[1]]);
    assert.equal(count(store, "SELECT count(*) AS n FROM message_text_store"), 1);
    // The index itself answers one row for the needle's trigrams: the tombstone hides the other.
    assert.equal(count(store, `SELECT count(*) AS n FROM message_text WHERE message_text MATCH '"oka"'`), 1);
  } finally {
    await store.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});
