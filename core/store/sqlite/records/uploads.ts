/**
 * SQLite implementation of `UploadStore` (table `jmap_uploads`); the statements are the shared
 * ones (core/store/records/sql/uploads.ts).
 *
 * @module
 */
import { SqlUploadStore } from "../../records/sql/uploads.ts";
import type { Database } from "../database.ts";
import { SqliteRecordDb } from "./db.ts";

/** Upload records in the store database. */
export class SqliteUploadStore extends SqlUploadStore {
  /** @param db the store database, JMAP schema applied */
  constructor(db: Database) {
    super(new SqliteRecordDb(db));
  }
}
