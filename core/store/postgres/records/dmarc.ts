/**
 * The PostgreSQL tables of the DMARC aggregate-report data (component "dmarc"). The store is the
 * shared `SqlDmarcStore` (core/store/records/sql/dmarc.ts).
 *
 * @module
 */
import type { PgMigration } from "../migrations.ts";

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
