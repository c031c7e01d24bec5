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
