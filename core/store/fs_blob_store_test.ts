import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { FsBlobStore } from "./fs_blob_store.ts";

async function withBlobs(fn: (blobs: FsBlobStore, dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  const blobs = new FsBlobStore(`${dir}/blobs`);
  try {
    await fn(blobs, `${dir}/blobs`);
  } finally {
    await blobs.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("FsBlobStore.put stores content-addressed files sharded by two hex chars", () =>
  withBlobs(async (blobs, dir) => {
    const data = bytes("hello world");
    const { blobId, size } = await blobs.put(data);
    assert.equal(blobId, createHash("sha256").update(data).digest("hex"));
    assert.equal(size, 11);
    assert.deepEqual(await Deno.readFile(`${dir}/${blobId.slice(0, 2)}/${blobId}`), data);
    assert.deepEqual(await blobs.get(blobId), data);
    assert.equal(await blobs.size(blobId), 11);
    assert.equal(await blobs.has(blobId), true);
    // Same bytes, same single file.
    assert.deepEqual(await blobs.put(bytes("hello world")), { blobId, size });
    assert.deepEqual(await Array.fromAsync(blobs.list()), [blobId]);
    assert.deepEqual(await Array.fromAsync(Deno.readDir(`${dir}/tmp`)), []);
    await blobs.delete(blobId);
    assert.equal(await blobs.get(blobId), null);
    assert.equal(await blobs.has(blobId), false);
    await blobs.delete(blobId);
  }));

Deno.test("FsBlobStore.put streams large inputs", () =>
  withBlobs(async (blobs) => {
    const chunk = new Uint8Array(256 * 1024).fill(0x61);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 12) return controller.close();
        sent++;
        controller.enqueue(chunk);
      },
    });
    const { blobId, size } = await blobs.put(stream);
    assert.equal(size, 12 * chunk.length);
    const hash = createHash("sha256");
    for (let i = 0; i < 12; i++) hash.update(chunk);
    assert.equal(blobId, hash.digest("hex"));
    assert.equal(await blobs.size(blobId), size);
  }));

Deno.test("FsBlobStore.stream returns the whole blob or a byte range", () =>
  withBlobs(async (blobs) => {
    const { blobId } = await blobs.put(bytes("0123456789"));
    const read = async (s: ReadableStream<Uint8Array> | null) =>
      new TextDecoder().decode(await new Response(s).arrayBuffer());
    assert.equal(await read(await blobs.stream(blobId)), "0123456789");
    assert.equal(await read(await blobs.stream(blobId, { start: 2, end: 5 })), "234");
    assert.equal(await read(await blobs.stream(blobId, { start: 8, end: 100 })), "89");
    assert.equal(await read(await blobs.stream(blobId, { start: 4, end: 4 })), "");
    const cancelled = await blobs.stream(blobId);
    await cancelled!.cancel();
    assert.equal(await blobs.stream("0".repeat(64)), null);
  }));

Deno.test("FsBlobStore rejects malformed ids instead of touching other paths", () =>
  withBlobs(async (blobs) => {
    assert.equal(await blobs.get("../../etc/passwd"), null);
    assert.equal(await blobs.has("ab"), false);
    assert.equal(await blobs.stream("../x"), null);
    assert.throws(() => blobs.path("../x"), TypeError);
  }));

Deno.test("FsBlobStore.cleanTemp removes interrupted puts", () =>
  withBlobs(async (blobs, dir) => {
    const { blobId } = await blobs.put(bytes("x"));
    const shard = `${dir}/${blobId.slice(0, 2)}`;
    await Deno.writeFile(`${dir}/tmp/leftover`, bytes("partial"));
    await Deno.writeFile(`${shard}/.tmp-leftover`, bytes("partial"));
    assert.equal(await blobs.cleanTemp(60_000), 0);
    assert.equal(await blobs.cleanTemp(-1), 2);
    assert.deepEqual(await Array.fromAsync(Deno.readDir(`${dir}/tmp`)), []);
    // Only the temp file went; the blob stays and is listed.
    assert.deepEqual((await Array.fromAsync(Deno.readDir(shard))).map((e) => e.name), [blobId]);
    assert.deepEqual(await Array.fromAsync(blobs.list()), [blobId]);
  }));
