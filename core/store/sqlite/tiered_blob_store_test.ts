import assert from "node:assert/strict";
import { SqliteStore } from "./sqlite_store.ts";

const enc = new TextEncoder();

async function withStore(
  fn: (store: SqliteStore, dataDir: string) => Promise<void>,
  opts: { inlineBlobMax?: number; blobGraceMs?: number } = {},
): Promise<void> {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-tiered-" });
  const store = await SqliteStore.open({ dataDir, ...opts });
  try {
    await fn(store, dataDir);
  } finally {
    await store.close();
    await Deno.remove(dataDir, { recursive: true });
  }
}

function streamOf(...chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (const chunk of chunks) c.enqueue(chunk);
      c.close();
    },
  });
}

async function readAll(s: ReadableStream<Uint8Array> | null): Promise<Uint8Array> {
  assert.ok(s);
  return new Uint8Array(await new Response(s).arrayBuffer());
}

async function blobFiles(dataDir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const shard of Deno.readDir(`${dataDir}/blobs`)) {
      if (!shard.isDirectory || shard.name === "tmp") continue;
      for await (const f of Deno.readDir(`${dataDir}/blobs/${shard.name}`)) out.push(f.name);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return out;
}

Deno.test("TieredBlobStore keeps small blobs in the database and large ones as files", () =>
  withStore(async (store, dataDir) => {
    const small = enc.encode("Subject: small\r\n\r\nhello\r\n");
    const large = new Uint8Array(100).fill(0x61);
    const a = await store.blobs.put(small);
    const b = await store.blobs.put(large);
    assert.equal(a.size, small.length);
    assert.deepEqual(await blobFiles(dataDir), [b.blobId]);
    assert.equal(store.database.get<{ n: number }>("SELECT count(*) AS n FROM blob_data")?.n, 1);
    assert.deepEqual(await store.blobs.get(a.blobId), small);
    assert.deepEqual(await store.blobs.get(b.blobId), large);
    assert.equal(await store.blobs.size(a.blobId), small.length);
    assert.equal(await store.blobs.has(a.blobId), true);
    assert.deepEqual(new Set(await Array.fromAsync(store.blobs.list())), new Set([a.blobId, b.blobId]));
    // Ranges are clamped like the file tier's.
    assert.equal(
      new TextDecoder().decode(await readAll(await store.blobs.stream(a.blobId, { start: 9, end: 14 }))),
      "small",
    );
    assert.deepEqual(
      await readAll(await store.blobs.stream(a.blobId, { start: 20, end: 999 })),
      small.subarray(20),
    );
    assert.deepEqual(await readAll(await store.blobs.stream(a.blobId)), small);
    // Same bytes, same id, stored once.
    assert.deepEqual(await store.blobs.put(small.slice()), a);
    assert.equal(store.database.get<{ n: number }>("SELECT count(*) AS n FROM blob_data")?.n, 1);
    await store.blobs.delete(a.blobId);
    assert.equal(await store.blobs.get(a.blobId), null);
    assert.equal(await store.blobs.stream(a.blobId), null);
  }, { inlineBlobMax: 64 }));

Deno.test("TieredBlobStore sorts a stream by its length, whatever the chunking", () =>
  withStore(async (store, dataDir) => {
    const part = new Uint8Array(40).fill(0x62);
    const inline = await store.blobs.put(streamOf(part.subarray(0, 10), part.subarray(10)));
    assert.equal(inline.size, 40);
    assert.deepEqual(await blobFiles(dataDir), []);
    const file = await store.blobs.put(streamOf(part, part, part));
    assert.equal(file.size, 120);
    assert.deepEqual(await blobFiles(dataDir), [file.blobId]);
    const whole = new Uint8Array(120).fill(0x62);
    assert.deepEqual(await store.blobs.get(file.blobId), whole);
    // The id is the SHA-256 of the bytes, whichever tier holds them.
    assert.equal((await store.blobs.put(whole)).blobId, file.blobId);
    assert.equal((await store.blobs.put(part)).blobId, inline.blobId);
  }, { inlineBlobMax: 64 }));

Deno.test("TieredBlobStore with inlineBlobMax 0 stores every blob as a file", () =>
  withStore(async (store, dataDir) => {
    const { blobId } = await store.blobs.put(enc.encode("x"));
    assert.deepEqual(await blobFiles(dataDir), [blobId]);
  }, { inlineBlobMax: 0 }));

Deno.test("TieredBlobStore inline blobs survive reopening, and go with their last reference", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-tiered-" });
  try {
    let store = await SqliteStore.open({ dataDir });
    await store.addDomain("example.org");
    const acc = await store.createAccount({ address: "bob@example.org", secrets: { passwordHash: "x" } });
    const inbox = (await store.getMailboxByRole(acc.id, "inbox"))!;
    const raw = enc.encode("Subject: kept\r\n\r\nbody\r\n");
    const { blobId } = await store.blobs.put(raw);
    const [added] = await store.addMessages([{ accountId: acc.id, mailboxIds: [inbox.id], blobId }]);
    await store.close();
    store = await SqliteStore.open({ dataDir });
    try {
      assert.deepEqual(await store.readMessage(acc.id, added!.id), raw);
      await store.expunge(acc.id, inbox.id, [added!.uids[0]!.uid]);
      assert.equal(await store.blobs.has(blobId), false);
      assert.equal(store.database.get<{ n: number }>("SELECT count(*) AS n FROM blob_data")?.n, 0);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("TieredBlobStore orphan inline blobs are collected after the grace period only", async () => {
  await withStore(async (store) => {
    const { blobId } = await store.blobs.put(enc.encode("orphan"));
    assert.deepEqual(await store.collectGarbage(), { removed: 0 });
    assert.equal(await store.blobs.has(blobId), true);
  });
  await withStore(async (store) => {
    const { blobId } = await store.blobs.put(enc.encode("orphan"));
    assert.deepEqual(await store.collectGarbage(), { removed: 1 });
    assert.equal(await store.blobs.has(blobId), false);
  }, { blobGraceMs: 0 });
});

/** A compressible message of about `size` bytes. */
function textMessage(size: number, seed: string): Uint8Array {
  const line = `Line of ${seed}: the quick brown fox jumps over the lazy dog.\r\n`;
  return enc.encode(`Subject: ${seed}\r\n\r\n` + line.repeat(Math.ceil(size / line.length)));
}

Deno.test("TieredBlobStore deflates inline blobs from 8 KiB up and reads them back byte for byte", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-tiered-" });
  try {
    const big = textMessage(30_000, "big");
    const small = textMessage(3_000, "small");
    const noise = crypto.getRandomValues(new Uint8Array(20_000));
    let store = await SqliteStore.open({ dataDir });
    const ids = [];
    try {
      for (const b of [big, small, noise]) ids.push((await store.blobs.put(b)).blobId);
      const stored = (id: string) =>
        store.database.get<{ n: number; raw: number | null }>(
          "SELECT length(data) AS n, raw_size AS raw FROM blob_data WHERE hash = ?",
          id,
        )!;
      assert.equal(stored(ids[0]!).raw, big.length);
      assert.ok(stored(ids[0]!).n < big.length / 4, `deflated to ${stored(ids[0]!).n}`);
      // Below 8 KiB, or when deflating does not pay: the bytes as they are.
      assert.deepEqual({ ...stored(ids[1]!) }, { n: small.length, raw: null });
      assert.deepEqual({ ...stored(ids[2]!) }, { n: noise.length, raw: null });
    } finally {
      await store.close();
    }
    // Reopened: nothing cached, every read goes through the row.
    store = await SqliteStore.open({ dataDir });
    try {
      assert.equal(await store.blobs.size(ids[0]!), big.length);
      assert.deepEqual(
        await readAll(await store.blobs.stream(ids[0]!, { start: 10_000, end: 10_100 })),
        big.subarray(10_000, 10_100),
      );
      assert.deepEqual(await store.blobs.get(ids[0]!), big);
      assert.deepEqual(store.blobs.getSync(ids[0]!), big);
      assert.deepEqual(await store.blobs.get(ids[1]!), small);
      assert.deepEqual(await store.blobs.get(ids[2]!), noise);
      // A message stored with its blob in one write job takes the same path.
      await store.addDomain("example.org");
      const acc = await store.createAccount({ address: "bob@example.org", secrets: { passwordHash: "x" } });
      const inbox = (await store.getMailboxByRole(acc.id, "inbox"))!;
      const other = textMessage(40_000, "stored");
      const { blobId } = await store.storeMessages(other, [{ accountId: acc.id, mailboxIds: [inbox.id] }]);
      assert.equal(
        store.database.get<{ raw: number }>("SELECT raw_size AS raw FROM blob_data WHERE hash = ?", blobId)!
          .raw,
        other.length,
      );
    } finally {
      await store.close();
    }
    store = await SqliteStore.open({ dataDir });
    try {
      const [m] = await store.queryMessages(
        (await store.getAccountByAddress("bob@example.org"))!.id,
        { filter: { text: "Line of stored" } },
      );
      assert.ok(m, "the deflated message is indexed from its inflated bytes");
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("TieredBlobStore: a database from before deflated blobs upgrades and keeps its rows readable", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "tern-tiered-" });
  try {
    const big = textMessage(30_000, "old");
    let store = await SqliteStore.open({ dataDir });
    let id: string;
    try {
      // Written as version 1 wrote it: the bytes themselves, no raw_size column.
      id = (await store.blobs.put(textMessage(1_000, "tiny"))).blobId;
      store.database.transaction(() => {
        store.database.run("DELETE FROM blob_data");
        store.database.run("ALTER TABLE blob_data DROP COLUMN raw_size");
        store.database.run("DELETE FROM schema_migrations WHERE component = 'blob_data' AND version = 2");
        store.database.run(
          "INSERT INTO blob_data (hash, data, created_at) VALUES (?, ?, ?)",
          "a".repeat(64),
          big,
          1,
        );
      });
    } finally {
      await store.close();
    }
    store = await SqliteStore.open({ dataDir });
    try {
      assert.equal(
        store.database.get<{ v: number }>(
          "SELECT max(version) AS v FROM schema_migrations WHERE component = 'blob_data'",
        )!.v,
        2,
      );
      assert.deepEqual(await store.blobs.get("a".repeat(64)), big);
      assert.equal(await store.blobs.size("a".repeat(64)), big.length);
      assert.equal(await store.blobs.has(id), false);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
