/**
 * SQLite implementation of `IdentityStore` (table `jmap_identities`); the statements are the shared
 * ones (core/store/records/sql/identities.ts).
 *
 * @module
 */
import type { Clock } from "../../../clock.ts";
import { SqlIdentityStore } from "../../records/sql/identities.ts";
import type { Database } from "../database.ts";
import { SqliteRecordDb } from "./db.ts";

/** Identities in the store database. */
export class SqliteIdentityStore extends SqlIdentityStore {
  /** @param db the store database, JMAP schema applied @param clock creation times */
  constructor(db: Database, clock: Clock) {
    super(new SqliteRecordDb(db), () => clock.now().getTime());
  }
}
