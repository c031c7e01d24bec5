/**
 * SQLite implementation of `SubmissionStore` (table `jmap_submissions`); the statements are the
 * shared ones (core/store/records/sql/submissions.ts).
 *
 * @module
 */
import type { Clock } from "../../../clock.ts";
import { SqlSubmissionStore } from "../../records/sql/submissions.ts";
import type { Database } from "../database.ts";
import { SqliteRecordDb } from "./db.ts";

/** EmailSubmission records in the store database. */
export class SqliteSubmissionStore extends SqlSubmissionStore {
  /** @param db the store database, JMAP schema applied @param clock creation times */
  constructor(db: Database, clock: Clock) {
    super(new SqliteRecordDb(db), () => clock.now().getTime());
  }
}
