import assert from "node:assert/strict";
import { SqliteStore } from "../store/sqlite/sqlite_store.ts";
import { SqliteVirtualSizes } from "./virtual_sizes.ts";

const enc = new TextEncoder();

async function withStore(fn: (store: SqliteStore) => Promise<void>): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-pop3-sizes-" });
  const store = await SqliteStore.open({ dataDir });
  try {
    await fn(store);
  } finally {
    await store.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

function cached(store: SqliteStore): number {
  return store.database.get<{ n: number }>("SELECT count(*) AS n FROM pop3_virtual_sizes")!.n;
}

Deno.test("SqliteVirtualSizes gives CRLF sizes (RFC 1939 §11), cached until the blob goes", () =>
  withStore(async (store) => {
    await store.addDomain("example.org");
    const acc = await store.createAccount({ address: "bob@example.org", secrets: { passwordHash: "x" } });
    const inbox = (await store.getMailboxByRole(acc.id, "inbox"))!;
    const raw = enc.encode("Subject: bare\n\nline one\nline two\n");
    const { blobId } = await store.blobs.put(raw);
    const [added] = await store.addMessages([{ accountId: acc.id, mailboxIds: [inbox.id], blobId }]);
    const sizes = new SqliteVirtualSizes(store.database);
    assert.deepEqual(await sizes.sizes(store, acc.id, [added!.id]), new Map([[added!.id, raw.length + 4]]));
    assert.equal(cached(store), 1);
    // Read back from the cache (the same answer).
    assert.deepEqual(await sizes.sizes(store, acc.id, [added!.id]), new Map([[added!.id, raw.length + 4]]));
    await store.expunge(acc.id, inbox.id, [added!.uids[0]!.uid]);
    assert.equal(cached(store), 0);
  }));

Deno.test("SqliteVirtualSizes migration keeps the sizes of live blobs only", () =>
  withStore((store) => {
    store.database.applyMigrations("pop3", [{
      version: 1,
      sql:
        "CREATE TABLE pop3_virtual_sizes (blob_id TEXT PRIMARY KEY, size INTEGER NOT NULL) STRICT, WITHOUT ROWID;",
    }]);
    const live = "a".repeat(64);
    store.database.transaction(() => {
      store.database.run("INSERT INTO blobs (hash, size, refcount) VALUES (?, 10, 1)", live);
      store.database.run("INSERT INTO pop3_virtual_sizes VALUES (?, 12), (?, 99)", live, "b".repeat(64));
    });
    new SqliteVirtualSizes(store.database);
    assert.deepEqual(
      store.database.values("SELECT blob_id, size FROM pop3_virtual_sizes"),
      [[live, 12]],
    );
    return Promise.resolve();
  }));
