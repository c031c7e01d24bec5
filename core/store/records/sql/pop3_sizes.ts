/**
 * `Pop3SizeStore` (POP3 CRLF sizes per blob) in SQL, shared by SQLite and PostgreSQL (table
 * `pop3_virtual_sizes`; a row goes with its blob through the foreign key; each backend keeps its
 * schema).
 *
 * @module
 */
import type { BlobId } from "../../types.ts";
import type { Pop3SizeStore } from "../pop3_sizes.ts";
import { all, type Op, type RecordDb, run } from "./db.ts";

/** Blob ids per lookup statement. */
const CHUNK = 500;

function* lookup(unique: BlobId[]): Op<Map<BlobId, number>> {
  const out = new Map<BlobId, number>();
  for (let i = 0; i < unique.length; i += CHUNK) {
    const part = unique.slice(i, i + CHUNK);
    const rows = yield* all<{ blob_id: string; size: number }>(
      `SELECT blob_id, size FROM pop3_virtual_sizes WHERE blob_id IN (${part.map(() => "?").join(",")})`,
      ...part,
    );
    for (const r of rows) out.set(r.blob_id, Number(r.size));
  }
  return out;
}

function* put(sizes: Map<BlobId, number>): Op<void> {
  for (const [blobId, size] of sizes) {
    // The blob's row may have gone meanwhile (message expunged): then there is nothing to cache.
    yield* run(
      `INSERT INTO pop3_virtual_sizes (blob_id, size)
       SELECT ?, ? WHERE EXISTS (SELECT 1 FROM blobs WHERE hash = ?) ON CONFLICT DO NOTHING`,
      blobId,
      size,
      blobId,
    );
  }
}

/** POP3 sizes over either backend. */
export class SqlPop3SizeStore implements Pop3SizeStore {
  /** @param db the backend, its "pop3" schema applied */
  constructor(protected readonly db: RecordDb) {}

  /** Known sizes of these blobs. */
  get(blobIds: BlobId[]): Promise<Map<BlobId, number>> {
    return this.db.read(lookup([...new Set(blobIds)]));
  }

  /** Stores sizes of blobs that still have a row. */
  async put(sizes: Map<BlobId, number>): Promise<void> {
    if (sizes.size === 0) return;
    await this.db.atomic(put(sizes));
  }
}
