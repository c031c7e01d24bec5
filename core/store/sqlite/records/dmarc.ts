/**
 * SQLite implementation of `DmarcStore` (component "dmarc", tables `dmarc_rows`, `dmarc_policies`
 * and `dmarc_reports`); the statements are the shared ones (core/store/records/sql/dmarc.ts).
 *
 * @module
 */
import { SqlDmarcStore } from "../../records/sql/dmarc.ts";
import type { Database } from "../database.ts";
import { SqliteRecordDb } from "./db.ts";

/** Applies the "dmarc" migrations. */
export function migrateDmarc(db: Database): void {
  db.applyMigrations("dmarc", [{
    version: 1,
    sql: `CREATE TABLE dmarc_rows (
      domain TEXT NOT NULL,
      day TEXT NOT NULL,
      row_json TEXT NOT NULL,
      count INTEGER NOT NULL,
      PRIMARY KEY (domain, day, row_json)
    ) STRICT;
    CREATE TABLE dmarc_policies (
      domain TEXT NOT NULL,
      day TEXT NOT NULL,
      published_json TEXT NOT NULL,
      PRIMARY KEY (domain, day)
    ) STRICT;
    CREATE TABLE dmarc_reports (
      org_name TEXT NOT NULL,
      report_id TEXT NOT NULL,
      domain TEXT NOT NULL,
      begin_ms INTEGER NOT NULL,
      end_ms INTEGER NOT NULL,
      received_ms INTEGER NOT NULL,
      messages INTEGER NOT NULL,
      passed INTEGER NOT NULL,
      rows_json TEXT NOT NULL,
      PRIMARY KEY (org_name, report_id)
    ) STRICT;
    CREATE INDEX dmarc_reports_received ON dmarc_reports (received_ms);`,
  }]);
}

/** DMARC records in the store database. */
export class SqliteDmarcStore extends SqlDmarcStore {
  /** @param db the store database, "dmarc" schema applied */
  constructor(db: Database) {
    super(new SqliteRecordDb(db));
  }
}
