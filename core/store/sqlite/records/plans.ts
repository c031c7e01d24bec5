/**
 * SQLite implementation of `PlanStore` (component "tenancy", table `plans`; limits, features and
 * mailbox overrides as JSON columns); the statements are the shared ones
 * (core/store/records/sql/plans.ts).
 *
 * @module
 */
import type { Clock } from "../../../clock.ts";
import { SqlPlanStore } from "../../records/sql/plans.ts";
import type { Database } from "../database.ts";
import { SqliteRecordDb } from "./db.ts";

/** Plans in the store database. */
export class SqlitePlanStore extends SqlPlanStore {
  /**
   * @param db the store database, "tenancy" schema applied
   * @param clock for creation times
   */
  constructor(db: Database, clock: Clock) {
    super(new SqliteRecordDb(db), () => clock.now().getTime());
  }
}
