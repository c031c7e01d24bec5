/**
 * `FsBlobStore` compressed files (`blob_file_format.ts`): real corpus messages round-trip through
 * `<hash>.z` files, any byte range reads as the slice of the raw bytes, plain files of older stores
 * stay readable, bytes that do not deflate stay plain, and a damaged file is an error, never
 * other bytes.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { FsBlobStore } from "./fs_blob_store.ts";
import { BlobFileError, CHUNK_SIZE, decodeBlobFile, layoutOf } from "./blob_file_format.ts";
import { Deflater } from "./deflater.ts";
import { inflateRawSync } from "node:zlib";

const CORPUS = new URL("../../../shared/corpus/", import.meta.url);

/** The `n` largest corpus messages. */
async function largestCorpus(n: number): Promise<Uint8Array[]> {
  const files: { path: URL; size: number }[] = [];
  for await (const e of Deno.readDir(CORPUS)) {
    if (!e.isFile) continue;
    const path = new URL(e.name, CORPUS);
    files.push({ path, size: (await Deno.stat(path)).size });
  }
  files.sort((a, b) => b.size - a.size);
  return await Promise.all(files.slice(0, n).map((f) => Deno.readFile(f.path)));
}

/** Deterministic bytes that do not compress (xorshift32). */
function noise(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function sha256(b: Uint8Array): string {
  return createHash("sha256").update(b).digest("hex");
}

/** Asserts equal bytes (compared by digest: a failing diff of megabytes would exhaust memory). */
function sameBytes(got: Uint8Array | null, want: Uint8Array, what = "bytes"): void {
  assert.ok(got, `${what}: absent`);
  assert.equal(`${got.length} ${sha256(got)}`, `${want.length} ${sha256(want)}`, what);
}

async function readAll(s: ReadableStream<Uint8Array> | null): Promise<Uint8Array> {
  assert.ok(s);
  return new Uint8Array(await new Response(s).arrayBuffer());
}

/** A stream of `data` in pieces of the given sizes (cycled). */
function pieces(data: Uint8Array, sizes: number[]): ReadableStream<Uint8Array> {
  let off = 0;
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (off >= data.length) return c.close();
      const n = sizes[i++ % sizes.length]!;
      c.enqueue(data.slice(off, off + n));
      off += n;
    },
  });
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tern-blobz-" });
  try {
    await fn(`${dir}/blobs`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("FsBlobStore stores large corpus messages as compressed files and reads them back byte for byte", () =>
  withDir(async (dir) => {
    const messages = await largestCorpus(4);
    assert.ok(messages[0]!.length > CHUNK_SIZE * 4, "the corpus holds a message over 1 MB");
    const writer = new FsBlobStore(dir);
    const ids: string[] = [];
    try {
      for (const m of messages) {
        const { blobId, size } = await writer.put(m);
        assert.equal(blobId, sha256(m), "the id is the SHA-256 of the raw bytes");
        assert.equal(size, m.length);
        ids.push(blobId);
        assert.equal(await exists(writer.path(blobId)), false, "no plain file");
        const stored = (await Deno.stat(writer.compressedPath(blobId))).size;
        assert.ok(stored <= m.length * 0.9, `${stored} of ${m.length} bytes`);
      }
    } finally {
      await writer.close();
    }
    // A fresh store (no recent-bytes cache) reads them from the files.
    const reader = new FsBlobStore(dir);
    try {
      for (const [i, m] of messages.entries()) {
        const id = ids[i]!;
        sameBytes(await reader.get(id), m);
        sameBytes(reader.getSync(id), m);
        sameBytes(await readAll(await reader.stream(id)), m);
        assert.equal(await reader.size(id), m.length);
        assert.equal(await reader.has(id), true);
        assert.equal(reader.hasSync(id), true);
        assert.ok(await reader.modifiedAt(id));
      }
      assert.deepEqual((await Array.fromAsync(reader.list())).sort(), [...ids].sort());
      await reader.delete(ids[0]!);
      assert.equal(await reader.get(ids[0]!), null);
      assert.equal(await exists(reader.compressedPath(ids[0]!)), false);
    } finally {
      await reader.close();
    }
  }));

Deno.test("FsBlobStore: a streamed put writes the same compressed file as a put of the bytes", () =>
  withDir(async (dir) => {
    const [m] = await largestCorpus(1);
    const a = new FsBlobStore(`${dir}/a`);
    const b = new FsBlobStore(`${dir}/b`);
    try {
      const byBytes = await a.put(m!);
      // Pieces that straddle chunk boundaries in every way.
      const byStream = await b.put(pieces(m!, [1, 70_000, CHUNK_SIZE, 3, CHUNK_SIZE + 17]));
      assert.deepEqual(byStream, byBytes);
      sameBytes(
        await Deno.readFile(b.compressedPath(byStream.blobId)),
        await Deno.readFile(a.compressedPath(byBytes.blobId)),
      );
      sameBytes(decodeBlobFile(await Deno.readFile(b.compressedPath(byStream.blobId))), m!);
      assert.deepEqual(await Array.fromAsync(Deno.readDir(`${dir}/b/tmp`)), []);
    } finally {
      await a.close();
      await b.close();
    }
  }));

Deno.test("FsBlobStore: any byte range of a compressed blob is the same slice of its raw bytes", () =>
  withDir(async (dir) => {
    // Text, then a chunk of noise (stored as it is), then text again, ending inside a chunk.
    const text = new TextEncoder().encode(
      "Subject: ranges\r\n\r\n" + "line of text 0123456789\r\n".repeat(30_000),
    );
    const raw = new Uint8Array(text.length + CHUNK_SIZE + 1000);
    raw.set(text.subarray(0, CHUNK_SIZE + 5));
    raw.set(noise(CHUNK_SIZE), CHUNK_SIZE + 5);
    raw.set(text.subarray(0, raw.length - 2 * CHUNK_SIZE - 5), 2 * CHUNK_SIZE + 5);
    const writer = new FsBlobStore(dir);
    const { blobId } = await writer.put(raw);
    await writer.close();
    const blobs = new FsBlobStore(dir);
    try {
      const layout = layoutOf(await Deno.readFile(blobs.compressedPath(blobId)));
      assert.deepEqual(layout.chunks.map((c) => c.deflated), [true, false, true, true]);
      const edges = [
        0,
        1,
        CHUNK_SIZE - 1,
        CHUNK_SIZE,
        CHUNK_SIZE + 1,
        2 * CHUNK_SIZE,
        raw.length - 1,
        raw.length,
      ];
      const offset = fc.oneof(fc.constantFrom(...edges), fc.integer({ min: 0, max: raw.length + 10 }));
      await fc.assert(
        fc.asyncProperty(offset, fc.nat({ max: 2 * CHUNK_SIZE + 10 }), async (start, length) => {
          const got = await readAll(await blobs.stream(blobId, { start, end: start + length }));
          sameBytes(got, raw.slice(start, start + length), `[${start}, ${start + length})`);
        }),
        { numRuns: 60 },
      );
    } finally {
      await blobs.close();
    }
  }));

Deno.test("FsBlobStore reads plain files of a store written before compression, and deletes both forms", () =>
  withDir(async (dir) => {
    const [m] = await largestCorpus(1);
    const old = new FsBlobStore(dir, { compress: false });
    const { blobId } = await old.put(m!);
    await old.close();
    assert.ok(await exists(old.path(blobId)), "the old store wrote a plain file");
    const blobs = new FsBlobStore(dir);
    try {
      sameBytes(await blobs.get(blobId), m!);
      sameBytes(
        await readAll(await blobs.stream(blobId, { start: 1000, end: 300_000 })),
        m!.slice(1000, 300_000),
      );
      assert.equal(await blobs.size(blobId), m!.length);
      // A put of the same bytes adds the compressed form; the blob is listed once.
      await blobs.put(m!);
      assert.ok(await exists(blobs.compressedPath(blobId)));
      assert.deepEqual(await Array.fromAsync(blobs.list()), [blobId]);
      await blobs.delete(blobId);
      assert.equal(await exists(blobs.path(blobId)), false);
      assert.equal(await exists(blobs.compressedPath(blobId)), false);
      assert.equal(blobs.hasSync(blobId), false);
    } finally {
      await blobs.close();
    }
  }));

Deno.test("FsBlobStore keeps bytes that do not deflate by a tenth, and small blobs, as plain files", () =>
  withDir(async (dir) => {
    const blobs = new FsBlobStore(dir);
    try {
      const random = noise(3 * CHUNK_SIZE + 123, 7);
      for (const put of [() => blobs.put(random), () => blobs.put(pieces(random, [65_536]))]) {
        const { blobId } = await put();
        assert.ok(await exists(blobs.path(blobId)));
        assert.equal(await exists(blobs.compressedPath(blobId)), false);
        sameBytes(await Deno.readFile(blobs.path(blobId)), random);
        await blobs.delete(blobId);
      }
      // Under 8 KiB: plain, however well it would compress.
      const small = new Uint8Array(8 * 1024 - 1).fill(0x61);
      const { blobId } = await blobs.put(small);
      assert.ok(await exists(blobs.path(blobId)));
      assert.equal(await exists(blobs.compressedPath(blobId)), false);
    } finally {
      await blobs.close();
    }
  }));

Deno.test("FsBlobStore: a damaged compressed file is an error, never other bytes", () =>
  withDir(async (dir) => {
    const [m] = await largestCorpus(1);
    const writer = new FsBlobStore(dir);
    const { blobId } = await writer.put(m!);
    await writer.close();
    const path = writer.compressedPath(blobId);
    const file = await Deno.readFile(path);
    // A flipped byte inside the first chunk, then a file cut short.
    const flipped = file.slice();
    flipped[100] = flipped[100]! ^ 0xff;
    await Deno.writeFile(path, flipped);
    const blobs = new FsBlobStore(dir);
    try {
      await assert.rejects(() => blobs.get(blobId), BlobFileError);
      await assert.rejects(
        async () => await readAll(await blobs.stream(blobId, { start: 0, end: 10 })),
        BlobFileError,
      );
      await Deno.writeFile(path, file.subarray(0, file.length - 10));
      await assert.rejects(() => blobs.get(blobId), BlobFileError);
      await assert.rejects(() => blobs.stream(blobId), BlobFileError);
      assert.throws(() => blobs.getSync(blobId), BlobFileError);
    } finally {
      await blobs.close();
    }
  }));

Deno.test("Deflater deflates in its worker, gives null for bytes that do not shrink, and restarts after stop", async () => {
  const d = new Deflater();
  try {
    const text = new TextEncoder().encode("compressible text\r\n".repeat(20_000));
    const pending = d.deflate(text);
    assert.equal(d.pending, 1);
    const z = await pending;
    assert.ok(z && z.length < text.length / 10);
    sameBytes(new Uint8Array(inflateRawSync(z)), text);
    assert.equal(await d.deflate(noise(200_000, 3)), null);
    // Stopped with a chunk waiting: the chunk gets null (stored as it is); the next starts a worker.
    const cut = d.deflate(text);
    d.stop();
    assert.equal(await cut, null);
    assert.ok(await d.deflate(text));
  } finally {
    d.stop();
  }
});
