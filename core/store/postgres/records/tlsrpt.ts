/**
 * The PostgreSQL table of the TLS-RPT counts (RFC 8460, component "tlsrpt"). The store is the shared
 * `SqlTlsRptStore` (core/store/records/sql/tlsrpt.ts).
 *
 * @module
 */
import type { PgMigration } from "../migrations.ts";

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
