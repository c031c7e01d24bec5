/**
 * Filesystem `BlobStore`: content-addressed files under `<dir>/<first 2 hex>/<sha256 hex>`.
 *
 * A put writes the bytes to a temp file (in the blob's shard directory when the bytes are in memory
 * and hashed first; in `<dir>/tmp/` for a stream, hashed while written), fsyncs it, renames
 * it to its SHA-256 name (or drops it when that name exists: same bytes are stored once) and fsyncs
 * the shard directory, so a blob id returned by `put` survives a crash. Reference counts live in the
 * store's database; this class only manages files.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { RecentBytes } from "./recent_bytes.ts";
import type { BlobStore } from "./blob_store.ts";
import type { BlobId } from "./types.ts";

const BLOB_ID_RE = /^[0-9a-f]{64}$/;
const READ_CHUNK = 64 * 1024;
/** Bytes of recently put blobs kept in memory: delivery reads a blob right after putting it. */
const RECENT_MAX_BYTES = 16 * 1024 * 1024;
const RECENT_MAX_ITEM = 1024 * 1024;
/** Name prefix of temp files of in-memory puts inside shard directories (never a blob id). */
const TEMP_PREFIX = ".tmp-";

/** Content-addressed blobs on the local filesystem. */
export class FsBlobStore implements BlobStore {
  readonly #dir: string;
  readonly #tmp: string;
  #ready: Promise<void> | null = null;
  /** Open handles of shard directories, for the fsync after a rename. */
  readonly #shards = new Map<string, Promise<Deno.FsFile>>();
  readonly #recent = new RecentBytes(RECENT_MAX_BYTES);
  /**
   * Called with a put's blob id before its file gets its name (the SQLite store marks the put
   * pending there, so a concurrent release does not unlink the bytes: pending_puts.ts).
   */
  onPut: ((blobId: BlobId) => void) | null = null;

  /**
   * Blob store over a directory.
   *
   * @param dir the blobs directory (created on first use)
   */
  constructor(dir: string) {
    this.#dir = dir.replace(/\/+$/, "");
    this.#tmp = `${this.#dir}/tmp`;
  }

  /** The blobs directory. */
  get dir(): string {
    return this.#dir;
  }

  /** Path of a blob's file (no existence check). Throws on a malformed id. */
  path(blobId: BlobId): string {
    if (!BLOB_ID_RE.test(blobId)) throw new TypeError(`Invalid blob id: "${blobId}"`);
    return `${this.#dir}/${blobId.slice(0, 2)}/${blobId}`;
  }

  #ensureDirs(): Promise<void> {
    this.#ready ??= (async () => {
      await Deno.mkdir(this.#tmp, { recursive: true });
      await syncDir(this.#dir);
    })();
    return this.#ready;
  }

  /** Stores bytes durably (temp file, fsync, rename, fsync dir) and returns their id and size. */
  async put(data: Uint8Array | ReadableStream<Uint8Array>): Promise<{ blobId: BlobId; size: number }> {
    await this.#ensureDirs();
    if (data instanceof Uint8Array) return await this.#putBytes(data);
    const tmpPath = `${this.#tmp}/${crypto.randomUUID()}`;
    const hash = createHash("sha256");
    let size = 0;
    let kept: Uint8Array[] | null = [];
    const file = await Deno.open(tmpPath, { write: true, createNew: true, mode: 0o600 });
    try {
      try {
        if (data instanceof Uint8Array) {
          hash.update(data);
          await writeAll(file, data);
          size = data.length;
          kept = size <= RECENT_MAX_ITEM ? [data] : null;
        } else {
          for await (const chunk of data) {
            hash.update(chunk);
            await writeAll(file, chunk);
            size += chunk.length;
            if (kept && size <= RECENT_MAX_ITEM) kept.push(chunk.slice());
            else kept = null;
          }
        }
        // fdatasync: the bytes and the size; the rename and the directory fsync make the name durable.
        await file.syncData();
      } finally {
        file.close();
      }
      const blobId = hash.digest("hex");
      this.onPut?.(blobId);
      // Renaming over an existing blob is harmless: same name, same bytes.
      const shard = await this.#shardDir(blobId.slice(0, 2));
      await Deno.rename(tmpPath, this.path(blobId));
      await shard.sync();
      if (kept) this.#recent.remember(blobId, kept.length === 1 ? kept[0]!.slice() : concat(kept, size));
      return { blobId, size };
    } catch (err) {
      await Deno.remove(tmpPath).catch(() => {});
      throw err;
    }
  }

  /**
   * Bytes in memory: hashed first, so the temp file is created in the blob's own shard directory
   * (renamed within it, one directory to fsync). Concurrent puts then spread over 256 directories
   * instead of all creating, renaming and unlinking in `tmp/`, whose directory lock they would
   * otherwise contend for (`open` runs partly on the calling thread).
   */
  async #putBytes(data: Uint8Array): Promise<{ blobId: BlobId; size: number }> {
    const blobId = createHash("sha256").update(data).digest("hex");
    this.onPut?.(blobId);
    const shard = await this.#shardDir(blobId.slice(0, 2));
    const tmpPath = `${this.#dir}/${blobId.slice(0, 2)}/${TEMP_PREFIX}${crypto.randomUUID()}`;
    const file = await Deno.open(tmpPath, { write: true, createNew: true, mode: 0o600 });
    try {
      try {
        await writeAll(file, data);
        // fdatasync: the bytes and the size; the rename and the directory fsync make the name durable.
        await file.syncData();
      } finally {
        file.close();
      }
      // Renaming over an existing blob is harmless: same name, same bytes.
      await Deno.rename(tmpPath, this.path(blobId));
      await shard.sync();
    } catch (err) {
      await Deno.remove(tmpPath).catch(() => {});
      throw err;
    }
    if (data.length <= RECENT_MAX_ITEM) this.#recent.remember(blobId, data.slice());
    return { blobId, size: data.length };
  }

  #shardDir(name: string): Promise<Deno.FsFile> {
    let handle = this.#shards.get(name);
    if (!handle) {
      handle = (async () => {
        const path = `${this.#dir}/${name}`;
        try {
          await Deno.mkdir(path);
          await syncDir(this.#dir);
        } catch (err) {
          if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
        }
        return await Deno.open(path, { read: true });
      })();
      handle.catch(() => this.#shards.delete(name));
      this.#shards.set(name, handle);
    }
    return handle;
  }

  /** Closes the directory handles kept for fsync (the store stays usable; they reopen on demand). */
  async close(): Promise<void> {
    const handles = [...this.#shards.values()];
    this.#shards.clear();
    this.#recent.clear();
    for (const h of handles) {
      try {
        (await h).close();
      } catch {
        // Never opened or already closed.
      }
    }
  }

  /** The whole blob, or null if absent. */
  async get(blobId: BlobId): Promise<Uint8Array | null> {
    if (!BLOB_ID_RE.test(blobId)) return null;
    const recent = this.#recent.get(blobId);
    if (recent) return recent.slice();
    try {
      return await Deno.readFile(this.path(blobId));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return null;
      throw err;
    }
  }

  /** A byte range [start, end) of the blob (clamped to its size), or the whole blob. Null if absent. */
  async stream(
    blobId: BlobId,
    range?: { start: number; end: number },
  ): Promise<ReadableStream<Uint8Array> | null> {
    if (!BLOB_ID_RE.test(blobId)) return null;
    let file: Deno.FsFile;
    try {
      file = await Deno.open(this.path(blobId), { read: true });
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return null;
      throw err;
    }
    let start = 0;
    let remaining = Infinity;
    if (range) {
      start = Math.max(0, Math.trunc(range.start));
      remaining = Math.max(0, Math.trunc(range.end) - start);
      if (start > 0) await file.seek(start, Deno.SeekMode.Start);
    }
    let closed = false;
    const close = () => {
      if (!closed) {
        closed = true;
        file.close();
      }
    };
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          if (remaining <= 0) {
            close();
            controller.close();
            return;
          }
          const buf = new Uint8Array(Math.min(READ_CHUNK, remaining));
          const n = await file.read(buf);
          if (n === null || n === 0) {
            close();
            controller.close();
            return;
          }
          remaining -= n;
          controller.enqueue(buf.subarray(0, n));
        } catch (err) {
          close();
          controller.error(err);
        }
      },
      cancel() {
        close();
      },
    });
  }

  /** Size in bytes, or null if absent. */
  async size(blobId: BlobId): Promise<number | null> {
    const info = await this.#stat(blobId);
    return info ? info.size : null;
  }

  /** Whether the blob exists. */
  async has(blobId: BlobId): Promise<boolean> {
    return (await this.#stat(blobId)) !== null;
  }

  /** Whether the blob exists (synchronous: used inside database transactions). */
  hasSync(blobId: BlobId): boolean {
    if (!BLOB_ID_RE.test(blobId)) return false;
    try {
      Deno.statSync(this.path(blobId));
      return true;
    } catch {
      return false;
    }
  }

  /** Last modification time of the blob file, or null if absent. */
  async modifiedAt(blobId: BlobId): Promise<Date | null> {
    return (await this.#stat(blobId))?.mtime ?? null;
  }

  async #stat(blobId: BlobId): Promise<Deno.FileInfo | null> {
    if (!BLOB_ID_RE.test(blobId)) return null;
    try {
      return await Deno.stat(this.path(blobId));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return null;
      throw err;
    }
  }

  /** Deletes the blob file; absent blobs are ignored. */
  async delete(blobId: BlobId): Promise<void> {
    if (!BLOB_ID_RE.test(blobId)) return;
    this.#recent.forget(blobId);
    try {
      await Deno.remove(this.path(blobId));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }

  /** Synchronous delete (used right after a commit, before any other write can interleave). */
  deleteSync(blobId: BlobId): void {
    if (!BLOB_ID_RE.test(blobId)) return;
    this.#recent.forget(blobId);
    try {
      Deno.removeSync(this.path(blobId));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }

  /** Every stored blob id. */
  async *list(): AsyncIterable<BlobId> {
    let shards: Deno.DirEntry[];
    try {
      shards = await Array.fromAsync(Deno.readDir(this.#dir));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return;
      throw err;
    }
    for (const shard of shards) {
      if (!shard.isDirectory || !/^[0-9a-f]{2}$/.test(shard.name)) continue;
      for await (const entry of Deno.readDir(`${this.#dir}/${shard.name}`)) {
        if (entry.isFile && BLOB_ID_RE.test(entry.name) && entry.name.startsWith(shard.name)) {
          yield entry.name;
        }
      }
    }
  }

  /**
   * Removes temp files of interrupted puts (in `tmp/` and in shard directories) older than
   * `olderThanMs`; returns how many.
   */
  async cleanTemp(olderThanMs: number): Promise<number> {
    const limit = Date.now() - olderThanMs;
    let removed = await removeOld(this.#tmp, limit, () => true);
    let shards: Deno.DirEntry[];
    try {
      shards = await Array.fromAsync(Deno.readDir(this.#dir));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return removed;
      throw err;
    }
    for (const shard of shards) {
      if (!shard.isDirectory || !/^[0-9a-f]{2}$/.test(shard.name)) continue;
      removed += await removeOld(`${this.#dir}/${shard.name}`, limit, (name) => name.startsWith(TEMP_PREFIX));
    }
    return removed;
  }
}

/** Removes files of `dir` accepted by `match` last modified at or before `limit`; returns how many. */
async function removeOld(dir: string, limit: number, match: (name: string) => boolean): Promise<number> {
  let removed = 0;
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile || !match(entry.name)) continue;
      const path = `${dir}/${entry.name}`;
      const info = await Deno.stat(path).catch(() => null);
      if (info && (info.mtime?.getTime() ?? 0) <= limit) {
        await Deno.remove(path).catch(() => {});
        removed++;
      }
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return removed;
}

async function writeAll(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await file.write(data.subarray(off));
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** fsyncs a directory so a rename or create inside it is durable. */
async function syncDir(path: string): Promise<void> {
  const dir = await Deno.open(path, { read: true });
  try {
    await dir.sync();
  } finally {
    dir.close();
  }
}
