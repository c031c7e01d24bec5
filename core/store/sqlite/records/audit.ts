/**
 * SQLite implementation of `AuditStore` (component "audit", table `audit_log`); the statements are
 * the shared ones (core/store/records/sql/audit.ts).
 *
 * @module
 */
import { SqlAuditStore } from "../../records/sql/audit.ts";
import type { Database } from "../database.ts";
import { SqliteRecordDb } from "./db.ts";

/** Applies the "audit" migrations. */
export function migrateAudit(db: Database): void {
  db.applyMigrations("audit", [{
    version: 1,
    sql: `CREATE TABLE audit_log (
      id TEXT PRIMARY KEY,
      at INTEGER NOT NULL,
      kind TEXT NOT NULL,
      action TEXT NOT NULL,
      actor TEXT NOT NULL,
      actor_org_id TEXT,
      org_id TEXT,
      target TEXT,
      before_json TEXT,
      after_json TEXT,
      ip TEXT,
      request_id TEXT
    ) STRICT;
    CREATE INDEX audit_log_org ON audit_log(org_id, id);`,
  }]);
}

/** The audit log in the store database. */
export class SqliteAuditStore extends SqlAuditStore {
  /** @param db the store database, "audit" schema applied */
  constructor(db: Database) {
    super(new SqliteRecordDb(db));
  }
}
