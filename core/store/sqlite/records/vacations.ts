/**
 * SQLite implementation of `VacationStore` (tables `jmap_vacation`, `jmap_vacation_sent`); the statements are the shared
 * ones (core/store/records/sql/vacations.ts).
 *
 * @module
 */
import { SqlVacationStore } from "../../records/sql/vacations.ts";
import type { Database } from "../database.ts";
import { SqliteRecordDb } from "./db.ts";

/** Vacation responses in the store database. */
export class SqliteVacationStore extends SqlVacationStore {
  /** @param db the store database, JMAP schema applied */
  constructor(db: Database) {
    super(new SqliteRecordDb(db));
  }
}
