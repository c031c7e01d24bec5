/**
 * Blob storage in two tiers: blobs up to a threshold (64 KiB by default: nearly all mail) live in
 * the database, in the `blob_data` table, and become durable in the same group commit as other
 * writes (one WAL fdatasync for every message delivered in that event-loop turn); larger blobs are
 * files of an `FsBlobStore` (temp file, fsync, rename, directory fsync).
 *
 * Why: a file per small message costs a create, an fsync, a rename and a directory fsync per
 * message, which capped SMTP delivery at about 800 messages/s on the 2-core reference machine;
 * rows batched into the shared commit do not (SQLite's own measurements put blobs under ~100 KB
 * faster inside the database than as files). Both tiers are content-addressed by SHA-256, so a
 * blob id means the same bytes wherever they live, and the Store's reference counts (`blobs`
 * table) cover both.
 *
 * Inline blobs from `COMPRESS_MIN` (8 KiB) up are stored as raw DEFLATE when that saves a tenth
 * (`blob_data.raw_size` holds their size; NULL means the bytes as they are): deflated before the
 * write job, inflated on read and kept in the recent-bytes cache for the reads that follow. Files
 * are compressed by the file tier itself (`FsBlobStore`, `blob_file_format.ts`).
 *
 * Garbage: an inline row that no `blobs` row references is removed by `collectInline` after the
 * grace period (a crash between `put` and the message commit), and together with its last
 * reference at release time (`releaseInline`, run inside the releasing transaction).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { inflateRawSync } from "node:zlib";
import { RecentBytes } from "../recent_bytes.ts";
import { COMPRESS_MIN, deflateIfWorth } from "../blob_file_format.ts";
import { PENDING_PUT_TTL_MS, PendingPuts } from "./pending_puts.ts";
import { BLOB_ID_RE, type BlobStore } from "../blob_store.ts";
import type { FsBlobStore } from "../fs_blob_store.ts";
import type { BlobId } from "../types.ts";
import type { Database, Migration } from "./database.ts";

/** Component name of the inline blob table in `schema_migrations`. */
export const BLOB_DATA_COMPONENT = "blob_data";

/** Migrations of the inline blob table. */
export const BLOB_DATA_MIGRATIONS: Migration[] = [{
  version: 1,
  sql: `CREATE TABLE blob_data (
          hash TEXT PRIMARY KEY NOT NULL,
          data BLOB NOT NULL,
          created_at INTEGER NOT NULL
        );
        CREATE INDEX blob_data_created ON blob_data (created_at);`,
}, {
  version: 2,
  // NULL: `data` is the blob's bytes. A number: `data` is their raw DEFLATE (RFC 1951) and this is
  // the blob's size. Rows written before stay as they are.
  sql: "ALTER TABLE blob_data ADD COLUMN raw_size INTEGER;",
}];

/**
 * Smallest inline blob stored deflated (bytes, shared with blob files). Smaller ones (most IMAP
 * traffic, SMTP ingest of a few KB) are read and written with no inflate or deflate; on the 386
 * corpus messages, deflating those from 8 KiB up saves about a quarter of the database tier's bytes.
 */
export { COMPRESS_MIN };

/** The stored form of an inline blob: its bytes, or their DEFLATE with the size they inflate to. */
export interface PackedInline {
  data: Uint8Array;
  /** Null when `data` is the bytes themselves. */
  rawSize: number | null;
}

/**
 * How inline bytes are stored: deflated from `COMPRESS_MIN` bytes up when that saves at least a
 * tenth, else as they are. Pure; callers run it outside the write job where they can.
 */
export function packInline(data: Uint8Array): PackedInline {
  if (data.length < COMPRESS_MIN) return { data, rawSize: null };
  const z = deflateIfWorth(data);
  return z ? { data: z, rawSize: data.length } : { data, rawSize: null };
}

/** Default largest blob kept in the database (bytes). */
export const DEFAULT_INLINE_MAX = 64 * 1024;

/** Bytes of recently put inline blobs kept in memory: delivery reads a blob right after putting it. */
const RECENT_MAX_BYTES = 8 * 1024 * 1024;
/** Chunk size of streams over inline blobs. */
const STREAM_CHUNK = 64 * 1024;

/** A blob's id: the SHA-256 of its bytes, in hex (the same in both tiers). */
export function blobIdOf(data: Uint8Array): BlobId {
  return createHash("sha256").update(data).digest("hex");
}

/** Runs a synchronous database write in the store's group commit; resolves once it is durable. */
export type DurableWrite = <T>(fn: () => T) => Promise<T>;

/** Small blobs in the database, large ones as files. */
export class TieredBlobStore implements BlobStore {
  /** The file tier. */
  readonly files: FsBlobStore;
  readonly #db: Database;
  readonly #write: DurableWrite;
  readonly #inlineMax: number;
  readonly #recent = new RecentBytes(RECENT_MAX_BYTES);
  /** Puts whose bytes no message references yet: a release leaves them (pending_puts.ts). */
  readonly #pending: PendingPuts;

  /**
   * A tiered store.
   *
   * @param db the store's database (the `blob_data` migration must have been applied)
   * @param write runs a write in the store's group commit
   * @param files the file tier
   * @param inlineMax largest blob kept in the database; 0 puts every blob in a file
   * @param graceMs the store's grace period for unreferenced bytes: a put protects its bytes from a
   *   release for at most this long (and at most `PENDING_PUT_TTL_MS`)
   */
  constructor(
    db: Database,
    write: DurableWrite,
    files: FsBlobStore,
    inlineMax = DEFAULT_INLINE_MAX,
    graceMs = PENDING_PUT_TTL_MS,
  ) {
    this.#db = db;
    this.#write = write;
    this.files = files;
    this.#inlineMax = Math.max(0, Math.trunc(inlineMax));
    this.#pending = new PendingPuts(Math.min(PENDING_PUT_TTL_MS, Math.max(0, graceMs)));
    files.onPut = (blobId) => this.#pending.add(blobId);
  }

  /** Stores bytes durably and returns their id (SHA-256 hex) and size. Idempotent. */
  async put(data: Uint8Array | ReadableStream<Uint8Array>): Promise<{ blobId: BlobId; size: number }> {
    if (data instanceof Uint8Array) {
      return data.length <= this.#inlineMax ? await this.#putInline(data) : await this.files.put(data);
    }
    // A stream: read up to the threshold; if it ends there, the blob goes inline, else to a file
    // with the bytes already read put back in front.
    const reader = data.getReader();
    const head: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      head.push(value);
      size += value.length;
      if (size > this.#inlineMax) {
        return await this.files.put(resume(head, reader));
      }
    }
    return await this.#putInline(concat(head, size));
  }

  async #putInline(data: Uint8Array): Promise<{ blobId: BlobId; size: number }> {
    const blobId = blobIdOf(data);
    this.#pending.add(blobId);
    const copy = data.slice();
    // Deflated before the write job: the group commit does no compression work.
    const packed = packInline(copy);
    // Always through the group commit, also when the row is already there: a row read back here
    // may belong to a batch whose WAL sync has not finished yet; this write settles after it.
    await this.#write(() => this.putInlineSync(blobId, copy, packed));
    this.#recent.remember(blobId, copy);
    return { blobId, size: data.length };
  }

  /**
   * Whether a `put` of this blob has not been followed yet by the write that references it (or by
   * its failure): the release of the blob's last reference must then keep the bytes.
   */
  isPutPending(blobId: BlobId): boolean {
    return this.#pending.pending(blobId);
  }

  /** The write referencing a put blob has committed or failed: that put no longer holds the bytes. */
  settlePut(blobId: BlobId): void {
    this.#pending.settle(blobId);
  }

  /** Whether bytes of this size are kept in the database. */
  isInlineSize(size: number): boolean {
    return size <= this.#inlineMax;
  }

  /**
   * Inserts an inline blob inside the caller's transaction (the caller's commit makes it durable).
   * `blobId` must be `blobIdOf(data)`; the bytes must be at most the inline threshold. `packed`
   * is `packInline(data)` when the caller computed it outside the write job.
   */
  putInlineSync(blobId: BlobId, data: Uint8Array, packed: PackedInline = packInline(data)): void {
    if (data.length > this.#inlineMax) throw new RangeError("Blob too large for the database tier");
    // A put of bytes already there renews their age, as a file's rename does: garbage collection
    // keeps them for the grace period from this put (a message may be about to reference them).
    this.#db.run(
      `INSERT INTO blob_data (hash, data, created_at, raw_size) VALUES (?, ?, ?, ?)
       ON CONFLICT (hash) DO UPDATE SET created_at = excluded.created_at`,
      blobId,
      packed.data,
      Date.now(),
      packed.rawSize,
    );
  }

  /** Keeps the bytes of a just-committed blob at hand for the reads that follow a delivery. */
  remember(blobId: BlobId, data: Uint8Array): void {
    this.#recent.remember(blobId, data);
  }

  /** The whole blob, or null if absent. */
  async get(blobId: BlobId): Promise<Uint8Array | null> {
    const inline = this.#inline(blobId);
    return inline ?? await this.files.get(blobId);
  }

  /** The whole blob read synchronously (inside a database transaction), or null if absent. */
  getSync(blobId: BlobId): Uint8Array | null {
    const inline = this.#inline(blobId);
    if (inline) return inline;
    try {
      return this.files.getSync(blobId);
    } catch {
      return null;
    }
  }

  #inline(blobId: BlobId): Uint8Array | null {
    if (!BLOB_ID_RE.test(blobId)) return null;
    const recent = this.#recent.get(blobId);
    if (recent) return recent.slice();
    const row = this.#db.get<{ data: Uint8Array; raw_size: number | null }>(
      "SELECT data, raw_size FROM blob_data WHERE hash = ?",
      blobId,
    );
    if (!row) return null;
    if (row.raw_size === null) return row.data;
    const raw = inflateRawSync(row.data, { maxOutputLength: Math.max(1, row.raw_size) });
    if (raw.length !== row.raw_size) throw new Error(`Inline blob ${blobId} inflates to the wrong size`);
    const bytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.length);
    // A client fetching one message reads it several times (structure, then parts): inflated once.
    this.#recent.remember(blobId, bytes.slice());
    return bytes;
  }

  /** A byte range [start, end) of the blob (clamped to its size), or the whole blob. Null if absent. */
  async stream(
    blobId: BlobId,
    range?: { start: number; end: number },
  ): Promise<ReadableStream<Uint8Array> | null> {
    const inline = this.#inline(blobId);
    if (!inline) return await this.files.stream(blobId, range);
    let start = 0;
    let end = inline.length;
    if (range) {
      start = Math.min(inline.length, Math.max(0, Math.trunc(range.start)));
      end = Math.min(inline.length, Math.max(start, Math.trunc(range.end)));
    }
    let pos = start;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pos >= end) {
          controller.close();
          return;
        }
        const next = Math.min(end, pos + STREAM_CHUNK);
        controller.enqueue(inline.subarray(pos, next));
        pos = next;
      },
    });
  }

  /** Size in bytes, or null if absent. */
  async size(blobId: BlobId): Promise<number | null> {
    return this.#inlineSize(blobId) ?? await this.files.size(blobId);
  }

  #inlineSize(blobId: BlobId): number | null {
    if (!BLOB_ID_RE.test(blobId)) return null;
    const recent = this.#recent.get(blobId);
    if (recent) return recent.length;
    const row = this.#db.get<{ n: number }>(
      "SELECT coalesce(raw_size, length(data)) AS n FROM blob_data WHERE hash = ?",
      blobId,
    );
    return row ? row.n : null;
  }

  /** Whether the blob exists. */
  async has(blobId: BlobId): Promise<boolean> {
    return this.#inlineSize(blobId) !== null || await this.files.has(blobId);
  }

  /** Whether the blob exists (synchronous: used inside database transactions). */
  hasSync(blobId: BlobId): boolean {
    return this.hasInlineSync(blobId) || this.files.hasSync(blobId);
  }

  /** Whether the blob is in the database tier. */
  hasInlineSync(blobId: BlobId): boolean {
    return BLOB_ID_RE.test(blobId) &&
      this.#db.get("SELECT 1 FROM blob_data WHERE hash = ?", blobId) !== undefined;
  }

  /** When the blob was stored (file modification time, or the row's creation), or null if absent. */
  async modifiedAt(blobId: BlobId): Promise<Date | null> {
    if (BLOB_ID_RE.test(blobId)) {
      const row = this.#db.get<{ t: number }>("SELECT created_at AS t FROM blob_data WHERE hash = ?", blobId);
      if (row) return new Date(row.t);
    }
    return await this.files.modifiedAt(blobId);
  }

  /** Deletes the blob from both tiers; absent blobs are ignored. */
  async delete(blobId: BlobId): Promise<void> {
    if (!BLOB_ID_RE.test(blobId)) return;
    if (this.#db.get("SELECT 1 FROM blob_data WHERE hash = ?", blobId)) {
      await this.#write(() => this.#db.run("DELETE FROM blob_data WHERE hash = ?", blobId));
    }
    this.#recent.forget(blobId);
    await this.files.delete(blobId);
  }

  /**
   * Removes the inline row of a blob whose last reference went, inside the releasing transaction
   * (so the removal commits with it). Returns whether the blob was inline.
   */
  releaseInline(blobId: BlobId): boolean {
    this.#recent.forget(blobId);
    return this.#db.run("DELETE FROM blob_data WHERE hash = ?", blobId).changes > 0;
  }

  /** Deletes a blob file synchronously (right after a commit, before any other write can interleave). */
  deleteFileSync(blobId: BlobId): void {
    this.#recent.forget(blobId);
    this.files.deleteSync(blobId);
  }

  /**
   * Removes inline rows no `blobs` row references that are older than `olderThanMs` (a put whose
   * message never committed); returns how many.
   */
  collectInline(olderThanMs: number): Promise<number> {
    const limit = Date.now() - olderThanMs;
    return this.#write(() => {
      const gone = this.#db.values(
        `DELETE FROM blob_data WHERE created_at <= ?
           AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.hash = blob_data.hash) RETURNING hash`,
        limit,
      );
      for (const [hash] of gone) this.#recent.forget(String(hash));
      return gone.length;
    });
  }

  /** Every stored blob id: inline ones, then files. */
  async *list(): AsyncIterable<BlobId> {
    for (const [hash] of this.#db.values("SELECT hash FROM blob_data")) yield String(hash);
    yield* this.files.list();
  }

  /** Removes stale temp files of the file tier; returns how many. */
  cleanTemp(olderThanMs: number): Promise<number> {
    return this.files.cleanTemp(olderThanMs);
  }

  /** Drops cached bytes and closes the file tier's handles. */
  async close(): Promise<void> {
    this.#recent.clear();
    await this.files.close();
  }
}

/** A stream of the chunks already read followed by the rest of `reader`. */
function resume(
  head: Uint8Array[],
  reader: ReadableStreamDefaultReader<Uint8Array>,
): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (i < head.length) {
        controller.enqueue(head[i++]!);
        return;
      }
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
