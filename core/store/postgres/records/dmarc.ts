/**
 * DMARC aggregate-report data on PostgreSQL (component "dmarc"); the statements are the shared ones
 * (core/store/records/sql/dmarc.ts).
 *
 * @module
 */
import { SqlDmarcStore } from "../../records/sql/dmarc.ts";
import type { PgMigration } from "../migrations.ts";
import type { PgDb } from "./db.ts";

/** Migration component of the DMARC tables. */
export const DMARC_COMPONENT = "dmarc";

/** The DMARC tables. */
export const DMARC_MIGRATIONS: PgMigration[] = [{
  version: 1,
  sql: `
CREATE TABLE dmarc_rows (
  domain TEXT NOT NULL,
  day TEXT NOT NULL,
  row_json TEXT NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (domain, day, row_json)
);
CREATE TABLE dmarc_policies (
  domain TEXT NOT NULL,
  day TEXT NOT NULL,
  published_json TEXT NOT NULL,
  PRIMARY KEY (domain, day)
);
CREATE TABLE dmarc_reports (
  org_name TEXT NOT NULL,
  report_id TEXT NOT NULL,
  domain TEXT NOT NULL,
  begin_ms BIGINT NOT NULL,
  end_ms BIGINT NOT NULL,
  received_ms BIGINT NOT NULL,
  messages BIGINT NOT NULL,
  passed BIGINT NOT NULL,
  rows_json TEXT NOT NULL,
  PRIMARY KEY (org_name, report_id)
);
CREATE INDEX dmarc_reports_received ON dmarc_reports (received_ms);
`,
}];

/** DMARC report data. */
export class PgDmarcStore extends SqlDmarcStore {
  /** @param db the pool */
  constructor(db: PgDb) {
    super(db);
  }
}
