/**
 * SQLite implementation of `UploadStore` (table `jmap_uploads`).
 *
 * @module
 */
import type { AccountId, BlobId } from "../../types.ts";
import type { UploadRecord, UploadStore } from "../../records/uploads.ts";
import type { Database } from "../database.ts";

interface UploadRow {
  account_id: string;
  blob_id: string;
  type: string;
  size: number;
  created: number;
}

/** Upload records in the store database. */
export class SqliteUploadStore implements UploadStore {
  readonly #db: Database;

  /** @param db the store database, JMAP schema applied */
  constructor(db: Database) {
    this.#db = db;
  }

  record(accountId: AccountId, blobId: BlobId, type: string, size: number, now: Date): Promise<UploadRecord> {
    const created = now.getTime();
    this.#db.run(
      "INSERT INTO jmap_uploads (account_id, blob_id, type, size, created) VALUES (?, ?, ?, ?, ?) " +
        "ON CONFLICT(account_id, blob_id) DO UPDATE SET type = excluded.type, created = excluded.created",
      accountId,
      blobId,
      type,
      size,
      created,
    );
    return Promise.resolve({ accountId, blobId, type, size, created: new Date(created) });
  }

  get(accountId: AccountId, blobId: BlobId): Promise<UploadRecord | null> {
    const row = this.#db.get<UploadRow>(
      "SELECT * FROM jmap_uploads WHERE account_id = ? AND blob_id = ?",
      accountId,
      blobId,
    );
    return Promise.resolve(
      row
        ? {
          accountId: row.account_id,
          blobId: row.blob_id,
          type: row.type,
          size: row.size,
          created: new Date(row.created),
        }
        : null,
    );
  }
}
