/**
 * SQLite implementation of `Pop3SizeStore` (component "pop3", table `pop3_virtual_sizes`; a row
 * goes with its blob through the foreign key).
 *
 * @module
 */
import type { BlobId } from "../../types.ts";
import type { Pop3SizeStore } from "../../records/pop3_sizes.ts";
import type { Database } from "../database.ts";

const CHUNK = 500;

/** Applies the "pop3" migrations. */
export function migratePop3Sizes(db: Database): void {
  db.applyMigrations("pop3", [{
    version: 1,
    sql: `CREATE TABLE pop3_virtual_sizes (
      blob_id TEXT PRIMARY KEY,
      size INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;`,
  }, {
    // A size goes with its blob: the row is deleted when the store drops the blob's row.
    version: 2,
    sql: `CREATE TABLE pop3_virtual_sizes_v2 (
      blob_id TEXT PRIMARY KEY REFERENCES blobs (hash) ON DELETE CASCADE,
      size INTEGER NOT NULL
    ) STRICT, WITHOUT ROWID;
    INSERT INTO pop3_virtual_sizes_v2 (blob_id, size)
      SELECT v.blob_id, v.size FROM pop3_virtual_sizes v WHERE EXISTS (SELECT 1 FROM blobs b WHERE b.hash = v.blob_id);
    DROP TABLE pop3_virtual_sizes;
    ALTER TABLE pop3_virtual_sizes_v2 RENAME TO pop3_virtual_sizes;`,
  }]);
}

/** POP3 sizes in the store database. */
export class SqlitePop3SizeStore implements Pop3SizeStore {
  readonly #db: Database;

  /** @param db the store database, "pop3" schema applied */
  constructor(db: Database) {
    this.#db = db;
  }

  get(blobIds: BlobId[]): Promise<Map<BlobId, number>> {
    const out = new Map<BlobId, number>();
    const unique = [...new Set(blobIds)];
    for (let i = 0; i < unique.length; i += CHUNK) {
      const part = unique.slice(i, i + CHUNK);
      const rows = this.#db.all<{ blob_id: string; size: number }>(
        `SELECT blob_id, size FROM pop3_virtual_sizes WHERE blob_id IN (${part.map(() => "?").join(",")})`,
        ...part,
      );
      for (const r of rows) out.set(r.blob_id, r.size);
    }
    return Promise.resolve(out);
  }

  put(sizes: Map<BlobId, number>): Promise<void> {
    if (sizes.size === 0) return Promise.resolve();
    this.#db.transaction(() => {
      for (const [blobId, size] of sizes) {
        // The blob's row may have gone meanwhile (message expunged): then there is nothing to cache.
        this.#db.run(
          `INSERT OR IGNORE INTO pop3_virtual_sizes (blob_id, size)
           SELECT ?, ? WHERE EXISTS (SELECT 1 FROM blobs WHERE hash = ?)`,
          blobId,
          size,
          blobId,
        );
      }
    });
    return Promise.resolve();
  }
}
