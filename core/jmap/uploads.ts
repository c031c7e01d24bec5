/**
 * Records of blobs uploaded over JMAP (RFC 8620 §6.1): which account uploaded which blob, with its
 * media type, so downloads and Email/import check ownership.
 *
 * @module
 */
import type { AccountId, BlobId } from "../store/types.ts";
import { type Clock, systemClock } from "../clock.ts";
import type { JmapSql } from "./sql.ts";
import { ensureJmapSchema } from "./schema.ts";

/** One uploaded blob. */
export interface UploadRecord {
  accountId: AccountId;
  blobId: BlobId;
  type: string;
  size: number;
  created: Date;
}

interface UploadRow {
  account_id: string;
  blob_id: string;
  type: string;
  size: number;
  created: number;
}

/** Upload records of all accounts. */
export class Uploads {
  readonly #sql: JmapSql;
  readonly #clock: Clock;

  /** @param sql the store database */
  constructor(sql: JmapSql, clock: Clock = systemClock) {
    ensureJmapSchema(sql);
    this.#sql = sql;
    this.#clock = clock;
  }

  /** Records an upload (idempotent: a re-upload refreshes type and time). */
  record(accountId: AccountId, blobId: BlobId, type: string, size: number): UploadRecord {
    const created = this.#clock.now().getTime();
    this.#sql.run(
      "INSERT INTO jmap_uploads (account_id, blob_id, type, size, created) VALUES (?, ?, ?, ?, ?) " +
        "ON CONFLICT(account_id, blob_id) DO UPDATE SET type = excluded.type, created = excluded.created",
      accountId,
      blobId,
      type,
      size,
      created,
    );
    return { accountId, blobId, type, size, created: new Date(created) };
  }

  /** The record of a blob uploaded by an account, or null. */
  get(accountId: AccountId, blobId: BlobId): UploadRecord | null {
    const row = this.#sql.get<UploadRow>(
      "SELECT * FROM jmap_uploads WHERE account_id = ? AND blob_id = ?",
      accountId,
      blobId,
    );
    return row
      ? {
        accountId: row.account_id,
        blobId: row.blob_id,
        type: row.type,
        size: row.size,
        created: new Date(row.created),
      }
      : null;
  }

  /** Every blob id some account uploaded (the store's garbage collector must keep these). */
  allBlobIds(): BlobId[] {
    return this.#sql.all<{ blob_id: string }>("SELECT DISTINCT blob_id FROM jmap_uploads").map((r) =>
      r.blob_id
    );
  }

  /** Forgets uploads older than `maxAgeMs` (RFC 8620 §6.1: at least 1 hour). */
  expire(maxAgeMs: number): number {
    return this.#sql.run("DELETE FROM jmap_uploads WHERE created < ?", this.#clock.now().getTime() - maxAgeMs)
      .changes;
  }
}
