/**
 * SQLite implementation of `TlsRptStore` (component "tlsrpt", table `tlsrpt_counts`); the statements
 * are the shared ones (core/store/records/sql/tlsrpt.ts).
 *
 * @module
 */
import { SqlTlsRptStore } from "../../records/sql/tlsrpt.ts";
import type { Database } from "../database.ts";
import { SqliteRecordDb } from "./db.ts";

/** Applies the "tlsrpt" migrations. */
export function migrateTlsRpt(db: Database): void {
  db.applyMigrations("tlsrpt", [{
    version: 1,
    sql: `CREATE TABLE tlsrpt_counts (
      domain TEXT NOT NULL,
      day TEXT NOT NULL,
      policy_type TEXT NOT NULL,
      policy_json TEXT NOT NULL,
      mx_host TEXT NOT NULL,
      result TEXT NOT NULL,
      receiving_ip TEXT NOT NULL,
      reason TEXT,
      count INTEGER NOT NULL,
      PRIMARY KEY (domain, day, policy_type, policy_json, mx_host, result, receiving_ip)
    ) STRICT;`,
  }]);
}

/** TLS-RPT counts in the store database. */
export class SqliteTlsRptStore extends SqlTlsRptStore {
  /** @param db the store database, "tlsrpt" schema applied */
  constructor(db: Database) {
    super(new SqliteRecordDb(db));
  }
}
