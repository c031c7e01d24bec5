/**
 * Runs the Store contract against SqliteStore on a temp dir, plus SQLite-specific behaviour:
 * pragmas, garbage collection of orphan blobs, migrations of other components.
 *
 * @module
 */
import assert from "node:assert/strict";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { storeMigrations } from "../../core/store/sqlite/schema.ts";
import { CannotCalculateChangesError } from "../../core/store/types.ts";
import { mail, storeContract } from "./store_contract.ts";

storeContract("SqliteStore", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-store-" });
  return {
    open: (opts) => SqliteStore.open({ dataDir, ...opts }),
    cleanup: () => Deno.remove(dataDir, { recursive: true }),
  };
});

// The same contract over the fallback search table (SQLite builds without FTS5).
storeContract("SqliteStore(no FTS5)", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-store-" });
  return {
    open: (opts) => SqliteStore.open({ dataDir, fts5: false, ...opts }),
    cleanup: () => Deno.remove(dataDir, { recursive: true }),
  };
});

// The same contract with every blob in a file (the tier large messages use).
storeContract("SqliteStore(blob files)", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-store-" });
  return {
    open: (opts) => SqliteStore.open({ dataDir, inlineBlobMax: 0, ...opts }),
    cleanup: () => Deno.remove(dataDir, { recursive: true }),
  };
});

async function withDir(fn: (dataDir: string) => Promise<void>): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-store-" });
  try {
    await fn(dataDir);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
}

Deno.test("SqliteStore.open uses WAL, synchronous=FULL, foreign keys and a busy timeout", () =>
  withDir(async (dataDir) => {
    const store = await SqliteStore.open({ dataDir });
    try {
      const db = store.database;
      assert.equal(db.get<{ journal_mode: string }>("PRAGMA journal_mode")?.journal_mode, "wal");
      assert.equal(db.get<{ synchronous: number }>("PRAGMA synchronous")?.synchronous, 2);
      assert.equal(db.get<{ foreign_keys: number }>("PRAGMA foreign_keys")?.foreign_keys, 1);
      assert.ok((db.get<{ timeout: number }>("PRAGMA busy_timeout")?.timeout ?? 0) > 0);
      // Every store migration applied: the ledger holds the last version.
      assert.equal(db.schemaVersion("store"), storeMigrations(true).at(-1)!.version);
      assert.equal(store.hasFullTextIndex, true);
      assert.ok((await Deno.stat(`${dataDir}/tern.db`)).isFile);
    } finally {
      await store.close();
    }
  }));

Deno.test("SqliteStore keeps one migration ledger: a component's steps apply once, across a reopen", () =>
  withDir(async (dataDir) => {
    let store = await SqliteStore.open({ dataDir });
    const migrations = [
      { version: 1, sql: "CREATE TABLE example_things (id INTEGER PRIMARY KEY, name TEXT)" },
      { version: 2, sql: "ALTER TABLE example_things ADD COLUMN extra TEXT" },
    ];
    store.database.applyMigrations("example", migrations);
    store.database.transaction(() =>
      store.database.run("INSERT INTO example_things (name, extra) VALUES ('a', 'b')")
    );
    await store.close();
    store = await SqliteStore.open({ dataDir });
    try {
      store.database.applyMigrations("example", migrations);
      assert.equal(store.database.schemaVersion("example"), 2);
      assert.equal(store.database.get<{ n: number }>("SELECT count(*) AS n FROM example_things")?.n, 1);
    } finally {
      await store.close();
    }
  }));

Deno.test("store migration 3 gives placements saved before it their internal date as save date (RFC 8514)", () =>
  withDir(async (dataDir) => {
    let store = await SqliteStore.open({ dataDir, clock: { now: () => new Date(Date.UTC(2026, 1, 1)) } });
    await store.addDomain("example.org");
    const acc = await store.createAccount({ address: "bob@example.org", secrets: { passwordHash: "x" } });
    const inbox = (await store.getMailboxByRole(acc.id, "inbox"))!;
    const { blobId } = await store.blobs.put(mail({}));
    const receivedAt = new Date(Date.UTC(2001, 0, 2, 3, 4, 5));
    await store.addMessages([{ accountId: acc.id, mailboxIds: [inbox.id], blobId, receivedAt }]);
    // Back to the version-2 shape: no saved_at column, version 3 not in the ledger.
    store.database.transaction(() => {
      store.database.run("ALTER TABLE placements DROP COLUMN saved_at");
      store.database.run("DELETE FROM schema_migrations WHERE component = 'store' AND version = 3");
    });
    await store.close();
    store = await SqliteStore.open({ dataDir });
    try {
      assert.equal(store.database.schemaVersion("store"), 3);
      assert.deepEqual(await store.savedDates(acc.id, inbox.id), {
        uids: [1],
        dates: [receivedAt.getTime()],
      });
    } finally {
      await store.close();
    }
  }));

Deno.test("SqliteStore.collectGarbage removes orphan blob files and unreferenced rows", () =>
  withDir(async (dataDir) => {
    const store = await SqliteStore.open({ dataDir, blobGraceMs: 0 });
    try {
      await store.addDomain("example.org");
      const acc = await store.createAccount({ address: "bob@example.org", secrets: { passwordHash: "x" } });
      const inbox = (await store.getMailboxByRole(acc.id, "inbox"))!;
      const kept = await store.blobs.put(mail({ subject: "kept" }));
      await store.addMessages([{ accountId: acc.id, mailboxIds: [inbox.id], blobId: kept.blobId }]);
      // A crash between the blob write and the commit leaves a file without a row.
      const orphan = await store.blobs.put(mail({ subject: "orphan" }));
      const pinned = await store.blobs.put(mail({ subject: "uploaded" }));
      await store.retainBlob(pinned.blobId);
      const unreferenced = await store.blobs.put(mail({ subject: "row without reference" }));
      store.database.transaction(() =>
        store.database.run(
          "INSERT INTO blobs (hash, size, refcount) VALUES (?, ?, 0)",
          unreferenced.blobId,
          1,
        )
      );
      const { removed } = await store.collectGarbage();
      assert.equal(removed, 2);
      assert.equal(await store.blobs.has(orphan.blobId), false);
      assert.equal(await store.blobs.has(unreferenced.blobId), false);
      assert.equal(await store.blobs.has(kept.blobId), true);
      assert.equal(await store.blobs.has(pinned.blobId), true);
      await store.releaseBlob(pinned.blobId);
      assert.equal(await store.blobs.has(pinned.blobId), false);
    } finally {
      await store.close();
    }
  }));

Deno.test("SqliteStore.collectGarbage keeps recent orphans within the grace period", () =>
  withDir(async (dataDir) => {
    const store = await SqliteStore.open({ dataDir });
    try {
      const pending = await store.blobs.put(mail({ subject: "about to be delivered" }));
      assert.deepEqual(await store.collectGarbage(), { removed: 0 });
      assert.equal(await store.blobs.has(pending.blobId), true);
    } finally {
      await store.close();
    }
  }));

Deno.test("SqliteStore second connection sees committed writes (CLI beside a server)", () =>
  withDir(async (dataDir) => {
    const server = await SqliteStore.open({ dataDir });
    const cli = await SqliteStore.open({ dataDir });
    try {
      await cli.addDomain("example.org");
      const acc = await cli.createAccount({ address: "bob@example.org", secrets: { passwordHash: "x" } });
      assert.equal((await server.getAccountByAddress("bob@example.org"))?.id, acc.id);
      const inbox = (await server.getMailboxByRole(acc.id, "inbox"))!;
      const b = await server.blobs.put(mail({}));
      const [first] = await server.addMessages([{
        accountId: acc.id,
        mailboxIds: [inbox.id],
        blobId: b.blobId,
      }]);
      assert.equal((await cli.mailboxCounts(acc.id, inbox.id)).total, 1);
      // The server's cached placement list follows changes made by the other connection.
      assert.deepEqual((await server.listPlacements(acc.id, inbox.id)).map((p) => [p.uid, p.keywords]), [[
        1,
        [],
      ]]);
      const b2 = await cli.blobs.put(mail({}));
      await cli.addMessages([{ accountId: acc.id, mailboxIds: [inbox.id], blobId: b2.blobId }]);
      await cli.updateKeywords(acc.id, [first!.id], { add: ["$seen"] });
      assert.deepEqual((await server.listPlacements(acc.id, inbox.id)).map((p) => [p.uid, p.keywords]), [
        [1, ["$seen"]],
        [2, []],
      ]);
      await cli.expunge(acc.id, inbox.id, [1]);
      assert.deepEqual((await server.listPlacements(acc.id, inbox.id)).map((p) => p.uid), [2]);
      assert.deepEqual(
        (await server.listPlacements(acc.id, inbox.id, { minUid: 2, maxUid: 2 })).map((p) => p.uid),
        [2],
      );
    } finally {
      await cli.close();
      await server.close();
    }
  }));

const CORPUS = new URL("../../../shared/corpus/", import.meta.url);

async function corpusFiles(): Promise<string[]> {
  try {
    const names: string[] = [];
    for await (const e of Deno.readDir(CORPUS)) if (e.isFile && e.name.endsWith(".eml")) names.push(e.name);
    return names.sort();
  } catch {
    return [];
  }
}

const corpus = await corpusFiles();

Deno.test({
  name: "SqliteStore indexes, threads and searches the real-world corpus",
  ignore: corpus.length === 0,
  fn: () => corpusTest(corpus),
});

function corpusTest(files: string[]): Promise<void> {
  return withDir(async (dataDir) => {
    const store = await SqliteStore.open({ dataDir });
    try {
      await store.addDomain("example.org");
      const acc = await store.createAccount({ address: "bob@example.org", secrets: { passwordHash: "x" } });
      const inbox = (await store.getMailboxByRole(acc.id, "inbox"))!;
      const sample = files.filter((_, i) => i % 4 === 0);
      const blobIds: string[] = [];
      for (const name of sample) {
        blobIds.push((await store.blobs.put(await Deno.readFile(new URL(name, CORPUS)))).blobId);
      }
      const added = await store.addMessages(
        blobIds.map((blobId) => ({ accountId: acc.id, mailboxIds: [inbox.id], blobId })),
      );
      assert.equal(added.length, sample.length);
      const messages = await store.getMessages(acc.id, added.map((a) => a.id));
      assert.equal(messages.length, sample.length);
      const counts = await store.mailboxCounts(acc.id, inbox.id);
      assert.equal(counts.total, sample.length);
      // Every message with a subject word of 4+ letters is found by a subject search for it.
      let checked = 0;
      for (const m of messages) {
        const word = /\p{L}{4,}/u.exec(m.summary.subject)?.[0];
        if (!word) continue;
        const hits = await store.queryMessages(acc.id, { filter: { subject: word } });
        assert.ok(hits.includes(m.id), `subject search "${word}" finds ${m.id}`);
        if (++checked >= 25) break;
      }
      assert.ok(checked > 0);
      const sorted = await store.queryMessages(acc.id, {
        sort: [{ property: "sentAt", isAscending: true }],
        collapseThreads: true,
      });
      assert.equal(sorted.length, counts.totalThreads);
    } finally {
      await store.close();
    }
  });
}

Deno.test("SqliteStore.pruneChanges drops old log rows; older states cannot be calculated", () =>
  withDir(async (dataDir) => {
    const store = await SqliteStore.open({ dataDir });
    try {
      await store.addDomain("example.org");
      const acc = await store.createAccount({ address: "bob@example.org", secrets: { passwordHash: "x" } });
      const inbox = (await store.getMailboxByRole(acc.id, "inbox"))!;
      const s0 = await store.state(acc.id, "Email");
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const { blobId } = await store.blobs.put(mail({}));
        ids.push((await store.addMessages([{ accountId: acc.id, mailboxIds: [inbox.id], blobId }]))[0]!.id);
      }
      const s1 = await store.state(acc.id, "Email");
      await store.updateKeywords(acc.id, [ids[0]!], { add: ["$seen"] });
      // Keeps the rows after s1: the last add's Thread and Mailbox rows and the update's three.
      const { removed } = await store.pruneChanges(5);
      assert.ok(removed > 0);
      await assert.rejects(store.changes(acc.id, "Email", s0), CannotCalculateChangesError);
      const recent = await store.changes(acc.id, "Email", s1);
      assert.deepEqual(recent.updated, [ids[0]]);
      assert.equal(recent.newState, await store.state(acc.id, "Email"));
    } finally {
      await store.close();
    }
  }));

Deno.test("SqliteStore.queryMessages inMailbox gives the same pages for large and small mailboxes", () =>
  withDir(async (dataDir) => {
    const store = await SqliteStore.open({ dataDir });
    try {
      await store.addDomain("example.org");
      const acc = await store.createAccount({ address: "big@example.org", secrets: { passwordHash: "x" } });
      const inbox = (await store.getMailboxByRole(acc.id, "inbox"))!;
      const archive = (await store.getMailboxByRole(acc.id, "archive"))!;
      const blobIds: string[] = [];
      for (let i = 0; i < 10; i++) {
        blobIds.push((await store.blobs.put(mail({ subject: `m${i}`, messageId: `m${i}@big` }))).blobId);
      }
      // Inbox above the small-mailbox bound (2,000) and most of the account: the ordered scan with
      // a placement probe; Archive a small share: its placements drive the query.
      const start = Date.UTC(2024, 0, 1);
      const batch = Array.from({ length: 2100 }, (_, i) => ({
        accountId: acc.id,
        mailboxIds: i % 50 === 0 ? [inbox.id, archive.id] : [inbox.id],
        blobId: blobIds[i % 10]!,
        // Equal receivedAt in pairs: ties are broken by id.
        receivedAt: new Date(start + Math.floor(i / 2) * 1000),
      }));
      const added = await store.addMessages(batch);
      const desc = [{ property: "receivedAt" as const, isAscending: false }];
      const expected = (keep: (i: number) => boolean) =>
        added.map((a, i) => ({ a, i })).filter(({ i }) => keep(i)).sort((x, y) =>
          batch[y.i]!.receivedAt.getTime() - batch[x.i]!.receivedAt.getTime() || y.i - x.i
        ).map(({ a }) => a.id);
      const inboxAll = expected(() => true);
      const archiveAll = expected((i) => i % 50 === 0);
      assert.deepEqual(
        await store.queryMessages(acc.id, { filter: { inMailbox: inbox.id }, sort: desc }),
        inboxAll,
      );
      assert.deepEqual(
        await store.queryMessages(acc.id, {
          filter: { inMailbox: inbox.id },
          sort: desc,
          position: 30,
          limit: 50,
        }),
        inboxAll.slice(30, 80),
      );
      assert.deepEqual(
        await store.queryMessages(acc.id, { filter: { inMailbox: archive.id }, sort: desc }),
        archiveAll,
      );
      assert.deepEqual(
        await store.queryMessages(acc.id, { filter: { inMailbox: archive.id }, sort: desc, limit: 5 }),
        archiveAll.slice(0, 5),
      );
      assert.deepEqual(
        await store.queryMessages(acc.id, {
          filter: { operator: "NOT", conditions: [{ inMailbox: archive.id }] },
          sort: desc,
          limit: 3,
        }),
        expected((i) => i % 50 !== 0).slice(0, 3),
      );
    } finally {
      await store.close();
    }
  }));
