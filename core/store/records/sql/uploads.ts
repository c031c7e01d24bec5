/**
 * `UploadStore` (JMAP uploads) in SQL, shared by SQLite and PostgreSQL (table `jmap_uploads`; each
 * backend keeps its schema).
 *
 * @module
 */
import type { AccountId, BlobId } from "../../types.ts";
import type { UploadRecord, UploadStore } from "../uploads.ts";
import { get, type RecordDb, run } from "./db.ts";

/** JMAP uploads over either backend. */
export class SqlUploadStore implements UploadStore {
  /** @param db the backend, its JMAP schema applied */
  constructor(protected readonly db: RecordDb) {}

  /** Records an upload (a re-upload refreshes type and time). */
  async record(
    accountId: AccountId,
    blobId: BlobId,
    type: string,
    size: number,
    now: Date,
  ): Promise<UploadRecord> {
    const created = now.getTime();
    await this.db.write(run(
      "INSERT INTO jmap_uploads (account_id, blob_id, type, size, created) VALUES (?, ?, ?, ?, ?) " +
        "ON CONFLICT (account_id, blob_id) DO UPDATE SET type = excluded.type, created = excluded.created",
      accountId,
      blobId,
      type,
      size,
      created,
    ));
    return { accountId, blobId, type, size, created: new Date(created) };
  }

  /** An upload of the account, or null. */
  async get(accountId: AccountId, blobId: BlobId): Promise<UploadRecord | null> {
    const r = await this.db.read(get<{ type: string; size: number; created: number }>(
      "SELECT type, size, created FROM jmap_uploads WHERE account_id = ? AND blob_id = ?",
      accountId,
      blobId,
    ));
    return r ? { accountId, blobId, type: r.type, size: r.size, created: new Date(r.created) } : null;
  }
}
