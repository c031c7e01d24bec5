/**
 * Filesystem `BlobStore`: content-addressed files under `<dir>/<first 2 hex>/<sha256 hex>`, or
 * `<sha256 hex>.z` when compressed (`blob_file_format.ts`: 256 KiB chunks, each deflated when that
 * saves a tenth, with an index so a byte range inflates only the chunks it covers). The id is
 * always the SHA-256 of the raw bytes; plain files (all of an older store's, and blobs that do not
 * compress) are read as before, and a blob may exist in both forms (read either, deleted both).
 *
 * A put writes the stored form to a temp file (in the blob's shard directory when the bytes are in
 * memory and hashed first; in `<dir>/tmp/` for a stream, hashed while written), fsyncs it, renames
 * it to its name (over an older file of the same name: same bytes) and fsyncs the shard
 * directory, so a blob id returned by `put` survives a crash. Blobs from `COMPRESS_MIN` bytes up
 * are deflated: in a worker (`deflater.ts`) above `SYNC_DEFLATE_MAX`, so a megabyte attachment
 * does not stall the event loop. Reference counts live in the store's database; this class only
 * manages files.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { setImmediate } from "node:timers";
import { RecentBytes } from "./recent_bytes.ts";
import {
  BlobFileError,
  type BlobFileLayout,
  CHUNK_SIZE,
  chunkBytes,
  chunkCrc,
  type ChunkEntry,
  COMPRESS_MIN,
  COMPRESSED_SUFFIX,
  decodeBlobFile,
  deflateIfWorth,
  encodeFooter,
  ENTRY_SIZE,
  layoutOf,
  parseIndex,
  parseTrailer,
  TRAILER_SIZE,
} from "./blob_file_format.ts";
import { Deflater } from "./deflater.ts";
import { BLOB_ID_RE, type BlobStore } from "./blob_store.ts";
import type { BlobId } from "./types.ts";

const READ_CHUNK = 64 * 1024;
/** Bytes of recently put blobs kept in memory: delivery reads a blob right after putting it. */
const RECENT_MAX_BYTES = 16 * 1024 * 1024;
const RECENT_MAX_ITEM = 1024 * 1024;
/** Name prefix of temp files of in-memory puts inside shard directories (never a blob id). */
const TEMP_PREFIX = ".tmp-";
export { COMPRESS_MIN };
/** Chunks inflated between two turns of the event loop in `get` (1 MiB). */
const YIELD_CHUNKS = 4;
/** Largest blob deflated on the calling thread (about a millisecond); larger ones go to the worker. */
const SYNC_DEFLATE_MAX = 64 * 1024;

/** Options of an `FsBlobStore`. */
export interface FsBlobStoreOptions {
  /** Store blobs from `COMPRESS_MIN` bytes up compressed when they deflate (default true). */
  compress?: boolean;
}

/** An open blob file: plain, or compressed with its layout. */
interface OpenBlob {
  file: Deno.FsFile;
  layout: BlobFileLayout | null;
}

/** Content-addressed blobs on the local filesystem. */
export class FsBlobStore implements BlobStore {
  readonly #dir: string;
  readonly #tmp: string;
  readonly #compress: boolean;
  readonly #deflater = new Deflater();
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
   * @param opts whether to compress
   */
  constructor(dir: string, opts: FsBlobStoreOptions = {}) {
    this.#dir = dir.replace(/\/+$/, "");
    this.#tmp = `${this.#dir}/tmp`;
    this.#compress = opts.compress ?? true;
  }

  /** The blobs directory. */
  get dir(): string {
    return this.#dir;
  }

  /** Path of a blob's plain file (no existence check). Throws on a malformed id. */
  path(blobId: BlobId): string {
    if (!BLOB_ID_RE.test(blobId)) throw new TypeError(`Invalid blob id: "${blobId}"`);
    return `${this.#dir}/${blobId.slice(0, 2)}/${blobId}`;
  }

  /** Path of a blob's compressed file (no existence check). Throws on a malformed id. */
  compressedPath(blobId: BlobId): string {
    return this.path(blobId) + COMPRESSED_SUFFIX;
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
    // The stream is cut into chunks; each is written deflated or as it is as soon as it is full.
    const entries: ChunkEntry[] = [];
    let pending: Uint8Array[] = [];
    let pendingSize = 0;
    const file = await Deno.open(tmpPath, { write: true, createNew: true, mode: 0o600 });
    try {
      try {
        const flush = async (mayDeflate: boolean) => {
          const chunk = concat(pending, pendingSize);
          pending = [];
          pendingSize = 0;
          const z = mayDeflate ? await this.#deflate(chunk) : null;
          await writeAll(file, z ?? chunk);
          entries.push({ stored: z ? z.length : chunk.length, deflated: z !== null, crc: chunkCrc(chunk) });
        };
        for await (const chunk of data) {
          hash.update(chunk);
          size += chunk.length;
          if (kept && size <= RECENT_MAX_ITEM) kept.push(chunk.slice());
          else kept = null;
          let rest = chunk;
          while (rest.length > 0) {
            const n = Math.min(rest.length, CHUNK_SIZE - pendingSize);
            pending.push(rest.subarray(0, n).slice());
            pendingSize += n;
            rest = rest.subarray(n);
            if (pendingSize === CHUNK_SIZE) await flush(this.#compress);
          }
        }
        if (pendingSize > 0) await flush(this.#compress && size >= COMPRESS_MIN);
        // With no chunk deflated the file holds exactly the raw bytes: it stays a plain file.
        if (entries.some((e) => e.deflated)) await writeAll(file, encodeFooter(entries, size));
        // fdatasync: the bytes and the size; the rename and the directory fsync make the name durable.
        await file.syncData();
      } finally {
        file.close();
      }
      const blobId = hash.digest("hex");
      this.onPut?.(blobId);
      // Renaming over an existing blob is harmless: same name, same bytes.
      const shard = await this.#shardDir(blobId.slice(0, 2));
      const compressed = entries.some((e) => e.deflated);
      await Deno.rename(tmpPath, compressed ? this.compressedPath(blobId) : this.path(blobId));
      await shard.sync();
      if (kept) this.#recent.remember(blobId, kept.length === 1 ? kept[0]!.slice() : concat(kept, size));
      return { blobId, size };
    } catch (err) {
      await Deno.remove(tmpPath).catch(() => {});
      throw err;
    }
  }

  /** The raw DEFLATE of a chunk when it saves a tenth, else null (also when the worker fails). */
  #deflate(chunk: Uint8Array): Promise<Uint8Array | null> {
    if (chunk.length > SYNC_DEFLATE_MAX) return this.#deflater.deflate(chunk);
    return Promise.resolve(deflateIfWorth(chunk));
  }

  /** The parts of a compressed file of `data`, or null when it is stored as a plain file. */
  async #encode(data: Uint8Array): Promise<Uint8Array[] | null> {
    if (!this.#compress || data.length < COMPRESS_MIN) return null;
    const chunks: Uint8Array[] = [];
    for (let off = 0; off < data.length; off += CHUNK_SIZE) chunks.push(data.subarray(off, off + CHUNK_SIZE));
    const deflated = await Promise.all(chunks.map((c) => this.#deflate(c)));
    if (deflated.every((z) => z === null)) return null;
    const parts = chunks.map((c, i) => deflated[i] ?? c);
    const entries = parts.map((p, i) => ({
      stored: p.length,
      deflated: deflated[i] !== null,
      crc: chunkCrc(chunks[i]!),
    }));
    parts.push(encodeFooter(entries, data.length));
    return parts;
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
    const parts = await this.#encode(data);
    const shard = await this.#shardDir(blobId.slice(0, 2));
    const tmpPath = `${this.#dir}/${blobId.slice(0, 2)}/${TEMP_PREFIX}${crypto.randomUUID()}`;
    const file = await Deno.open(tmpPath, { write: true, createNew: true, mode: 0o600 });
    try {
      try {
        for (const part of parts ?? [data]) await writeAll(file, part);
        // fdatasync: the bytes and the size; the rename and the directory fsync make the name durable.
        await file.syncData();
      } finally {
        file.close();
      }
      // Renaming over an existing blob is harmless: same name, same bytes.
      await Deno.rename(tmpPath, parts ? this.compressedPath(blobId) : this.path(blobId));
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

  /**
   * Closes the directory handles kept for fsync and stops the deflate worker (the store stays
   * usable; they reopen on demand).
   */
  async close(): Promise<void> {
    const handles = [...this.#shards.values()];
    this.#shards.clear();
    this.#recent.clear();
    this.#deflater.stop();
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
    const z = await readIfExists(this.compressedPath(blobId));
    if (z) return await inflateYielding(z);
    return await readIfExists(this.path(blobId));
  }

  /** The whole blob read synchronously (inside a database transaction), or null if absent. */
  getSync(blobId: BlobId): Uint8Array | null {
    if (!BLOB_ID_RE.test(blobId)) return null;
    const recent = this.#recent.get(blobId);
    if (recent) return recent.slice();
    const z = readIfExistsSync(this.compressedPath(blobId));
    if (z) return decodeBlobFile(z);
    return readIfExistsSync(this.path(blobId));
  }

  /** Opens the blob's file (the compressed one first, with its layout read), or null if absent. */
  async #open(blobId: BlobId): Promise<OpenBlob | null> {
    let file = await openIfExists(this.compressedPath(blobId));
    if (file) {
      try {
        return { file, layout: await readLayout(file) };
      } catch (err) {
        file.close();
        throw err;
      }
    }
    file = await openIfExists(this.path(blobId));
    return file ? { file, layout: null } : null;
  }

  /** A byte range [start, end) of the blob (clamped to its size), or the whole blob. Null if absent. */
  async stream(
    blobId: BlobId,
    range?: { start: number; end: number },
  ): Promise<ReadableStream<Uint8Array> | null> {
    if (!BLOB_ID_RE.test(blobId)) return null;
    const opened = await this.#open(blobId);
    if (!opened) return null;
    const { file, layout } = opened;
    let start = 0;
    let end = layout ? layout.rawSize : Infinity;
    if (range) {
      start = Math.max(0, Math.trunc(range.start));
      end = Math.min(end, Math.max(start, Math.trunc(range.end)));
    }
    let closed = false;
    const close = () => {
      if (!closed) {
        closed = true;
        file.close();
      }
    };
    let pos = start;
    if (!layout && start > 0) await file.seek(start, Deno.SeekMode.Start);
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          if (pos >= end) {
            close();
            controller.close();
            return;
          }
          if (layout) {
            // The chunk holding `pos`, inflated, cut to the range.
            const i = Math.floor(pos / layout.chunkSize);
            const c = layout.chunks[i]!;
            const raw = chunkBytes(layout, i, await readAt(file, c.offset, c.stored));
            const base = i * layout.chunkSize;
            const to = Math.min(end, base + raw.length);
            controller.enqueue(raw.subarray(pos - base, to - base));
            pos = to;
            return;
          }
          const buf = new Uint8Array(Math.min(READ_CHUNK, end - pos));
          const n = await file.read(buf);
          if (n === null || n === 0) {
            close();
            controller.close();
            return;
          }
          pos += n;
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
    if (!BLOB_ID_RE.test(blobId)) return null;
    const opened = await this.#open(blobId);
    if (!opened) return null;
    try {
      return opened.layout ? opened.layout.rawSize : (await opened.file.stat()).size;
    } finally {
      opened.file.close();
    }
  }

  /** Whether the blob exists. */
  async has(blobId: BlobId): Promise<boolean> {
    return (await this.#stat(blobId)) !== null;
  }

  /** Whether the blob exists (synchronous: used inside database transactions). */
  hasSync(blobId: BlobId): boolean {
    if (!BLOB_ID_RE.test(blobId)) return false;
    for (const path of [this.compressedPath(blobId), this.path(blobId)]) {
      try {
        Deno.statSync(path);
        return true;
      } catch {
        // Try the other form.
      }
    }
    return false;
  }

  /** Last modification time of the blob file, or null if absent. */
  async modifiedAt(blobId: BlobId): Promise<Date | null> {
    return (await this.#stat(blobId))?.mtime ?? null;
  }

  async #stat(blobId: BlobId): Promise<Deno.FileInfo | null> {
    if (!BLOB_ID_RE.test(blobId)) return null;
    for (const path of [this.compressedPath(blobId), this.path(blobId)]) {
      try {
        return await Deno.stat(path);
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
    }
    return null;
  }

  /** Deletes the blob's files (both forms); absent blobs are ignored. */
  async delete(blobId: BlobId): Promise<void> {
    if (!BLOB_ID_RE.test(blobId)) return;
    this.#recent.forget(blobId);
    for (const path of [this.compressedPath(blobId), this.path(blobId)]) {
      try {
        await Deno.remove(path);
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
    }
  }

  /** Synchronous delete (used right after a commit, before any other write can interleave). */
  deleteSync(blobId: BlobId): void {
    if (!BLOB_ID_RE.test(blobId)) return;
    this.#recent.forget(blobId);
    for (const path of [this.compressedPath(blobId), this.path(blobId)]) {
      try {
        Deno.removeSync(path);
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
    }
  }

  /** Every stored blob id (once, whichever forms it has). */
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
      const seen = new Set<string>();
      for await (const entry of Deno.readDir(`${this.#dir}/${shard.name}`)) {
        const name = entry.name.endsWith(COMPRESSED_SUFFIX)
          ? entry.name.slice(0, -COMPRESSED_SUFFIX.length)
          : entry.name;
        if (entry.isFile && BLOB_ID_RE.test(name) && name.startsWith(shard.name) && !seen.has(name)) {
          seen.add(name);
          yield name;
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

/**
 * The names a blob's files may have in a blobs directory: the plain one and the compressed one
 * (relative to the directory; backup and restore copy whichever exist).
 */
export function blobFileNames(blobId: BlobId): string[] {
  const plain = `${blobId.slice(0, 2)}/${blobId}`;
  return [plain, plain + COMPRESSED_SUFFIX];
}

/**
 * The raw bytes of a blob file as read from disk (inflated when `name` is a compressed file's).
 * Throws `BlobFileError` when a compressed file is damaged.
 */
export function blobFileBytes(name: string, file: Uint8Array): Uint8Array {
  return name.endsWith(COMPRESSED_SUFFIX) ? decodeBlobFile(file) : file;
}

/**
 * The blob's bytes from a whole compressed file, letting the event loop run between megabytes
 * (a 30 MB message inflates in about 60 ms: other connections are served meanwhile).
 */
async function inflateYielding(file: Uint8Array): Promise<Uint8Array> {
  const layout = layoutOf(file);
  const out = new Uint8Array(layout.rawSize);
  for (const [i, c] of layout.chunks.entries()) {
    if (i > 0 && i % YIELD_CHUNKS === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    out.set(chunkBytes(layout, i, file.subarray(c.offset, c.offset + c.stored)), i * layout.chunkSize);
  }
  return out;
}

/** The layout of an open compressed blob file (from its trailer and index). */
async function readLayout(file: Deno.FsFile): Promise<BlobFileLayout> {
  const size = (await file.stat()).size;
  if (size < TRAILER_SIZE) throw new BlobFileError("truncated trailer");
  const trailer = parseTrailer(await readAt(file, size - TRAILER_SIZE, TRAILER_SIZE));
  const indexStart = size - TRAILER_SIZE - trailer.count * ENTRY_SIZE;
  if (indexStart < 0) throw new BlobFileError("truncated index");
  return parseIndex(await readAt(file, indexStart, trailer.count * ENTRY_SIZE), trailer, size);
}

/** Exactly `length` bytes at `offset` (a short file is a damaged one). */
async function readAt(file: Deno.FsFile, offset: number, length: number): Promise<Uint8Array> {
  await file.seek(offset, Deno.SeekMode.Start);
  const buf = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const n = await file.read(buf.subarray(got));
    if (n === null || n === 0) throw new BlobFileError("truncated chunk");
    got += n;
  }
  return buf;
}

async function openIfExists(path: string): Promise<Deno.FsFile | null> {
  try {
    return await Deno.open(path, { read: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

async function readIfExists(path: string): Promise<Uint8Array | null> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

function readIfExistsSync(path: string): Uint8Array | null {
  try {
    return Deno.readFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
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
