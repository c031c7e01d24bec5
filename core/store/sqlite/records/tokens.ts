/**
 * SQLite implementation of `TokenStore` (table `jmap_tokens`: hashes only); the statements are the
 * shared ones (core/store/records/sql/tokens.ts).
 *
 * @module
 */
import { SqlTokenStore } from "../../records/sql/tokens.ts";
import type { Database } from "../database.ts";
import { SqliteRecordDb } from "./db.ts";

/** Token records in the store database. */
export class SqliteTokenStore extends SqlTokenStore {
  /** @param db the store database, JMAP schema applied */
  constructor(db: Database) {
    super(new SqliteRecordDb(db));
  }
}
