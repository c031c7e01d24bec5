/**
 * TLS-RPT counts on PostgreSQL (RFC 8460, component "tlsrpt"); the statements are the shared ones
 * (core/store/records/sql/tlsrpt.ts).
 *
 * @module
 */
import { SqlTlsRptStore } from "../../records/sql/tlsrpt.ts";
import type { PgMigration } from "../migrations.ts";
import type { PgDb } from "./db.ts";

/** Migration component of the TLS-RPT table. */
export const TLSRPT_COMPONENT = "tlsrpt";

/** The TLS-RPT table. */
export const TLSRPT_MIGRATIONS: PgMigration[] = [{
  version: 1,
  sql: `
CREATE TABLE tlsrpt_counts (
  domain TEXT NOT NULL,
  day TEXT NOT NULL,
  policy_type TEXT NOT NULL,
  policy_json TEXT NOT NULL,
  mx_host TEXT NOT NULL,
  result TEXT NOT NULL,
  receiving_ip TEXT NOT NULL,
  reason TEXT,
  count BIGINT NOT NULL,
  PRIMARY KEY (domain, day, policy_type, policy_json, mx_host, result, receiving_ip)
);
`,
}];

/** TLS-RPT counts. */
export class PgTlsRptStore extends SqlTlsRptStore {
  /** @param db the pool */
  constructor(db: PgDb) {
    super(db);
  }
}
