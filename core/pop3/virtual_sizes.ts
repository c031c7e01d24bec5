/**
 * POP3 reports each message's exact size as sent on the wire, where every line ends in CRLF
 * (RFC 1939 §5 LIST, §11). A message stored with bare LF or bare CR endings is larger on the wire
 * than in the blob store, so the wire ("virtual") size is computed once per blob and kept in the
 * database, as Dovecot keeps it in its index; later logins read it back without touching the blobs.
 *
 * @module
 */
import type { Store } from "../store/store.ts";
import type { AccountId, MessageId } from "../store/types.ts";
import type { Database } from "../store/sqlite/database.ts";
import { crlfLength } from "../mime/line_endings.ts";

/** Exact CRLF sizes of messages, by message id. */
export interface VirtualSizes {
  sizes(store: Store, accountId: AccountId, ids: MessageId[]): Promise<Map<MessageId, number>>;
}

const CHUNK = 500;

/** Computes every size from the blobs (no cache): for stores without a database. */
export class UncachedVirtualSizes implements VirtualSizes {
  async sizes(store: Store, accountId: AccountId, ids: MessageId[]): Promise<Map<MessageId, number>> {
    const out = new Map<MessageId, number>();
    for (const m of await store.getMessages(accountId, ids)) {
      const raw = await store.blobs.get(m.blobId);
      if (raw) out.set(m.id, crlfLength(raw));
    }
    return out;
  }
}

/** Sizes cached per blob in the SQLite database (component "pop3"). */
export class SqliteVirtualSizes implements VirtualSizes {
  readonly #db: Database;

  /** Applies the cache table's migrations. */
  constructor(db: Database) {
    this.#db = db;
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

  async sizes(store: Store, accountId: AccountId, ids: MessageId[]): Promise<Map<MessageId, number>> {
    const messages = await store.getMessages(accountId, ids);
    const known = new Map<string, number>();
    const blobIds = [...new Set(messages.map((m) => m.blobId))];
    for (let i = 0; i < blobIds.length; i += CHUNK) {
      const part = blobIds.slice(i, i + CHUNK);
      const rows = this.#db.all<{ blob_id: string; size: number }>(
        `SELECT blob_id, size FROM pop3_virtual_sizes WHERE blob_id IN (${part.map(() => "?").join(",")})`,
        ...part,
      );
      for (const r of rows) known.set(r.blob_id, r.size);
    }
    const computed: [string, number][] = [];
    for (const blobId of blobIds) {
      if (known.has(blobId)) continue;
      const raw = await store.blobs.get(blobId);
      if (!raw) continue;
      const size = crlfLength(raw);
      known.set(blobId, size);
      computed.push([blobId, size]);
    }
    if (computed.length > 0) {
      // A cache: losing it in a crash only means computing again, so no fsync is awaited here.
      this.#db.transaction(() => {
        for (const [blobId, size] of computed) {
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
    }
    const out = new Map<MessageId, number>();
    for (const m of messages) {
      const size = known.get(m.blobId);
      if (size !== undefined) out.set(m.id, size);
    }
    return out;
  }
}

/** The cache for a store: persistent for a store with a database (SqliteStore), else none. */
export function virtualSizesFor(store: Store): VirtualSizes {
  const db = (store as { database?: Database }).database;
  return db ? new SqliteVirtualSizes(db) : new UncachedVirtualSizes();
}
