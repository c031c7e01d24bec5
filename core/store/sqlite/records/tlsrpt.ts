/**
 * SQLite implementation of `TlsRptStore` (component "tlsrpt", table `tlsrpt_counts`): one row per
 * policy domain, day, policy, MX host, result and receiving address, counted by upsert.
 *
 * @module
 */
import type { TlsRptCount, TlsRptStore } from "../../records/tlsrpt.ts";
import type { Database } from "../database.ts";

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

interface Row {
  policy_type: string;
  policy_json: string;
  mx_host: string;
  result: string;
  receiving_ip: string;
  reason: string | null;
  count: number;
}

/** TLS-RPT counts in the store database. */
export class SqliteTlsRptStore implements TlsRptStore {
  readonly #db: Database;

  /** @param db the store database, "tlsrpt" schema applied */
  constructor(db: Database) {
    this.#db = db;
  }

  record(day: string, domain: string, line: Omit<TlsRptCount, "count">): Promise<void> {
    this.#db.run(
      `INSERT INTO tlsrpt_counts (domain, day, policy_type, policy_json, mx_host, result, receiving_ip, reason, count)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)
       ON CONFLICT(domain, day, policy_type, policy_json, mx_host, result, receiving_ip)
       DO UPDATE SET count = count + 1, reason = COALESCE(excluded.reason, reason)`,
      domain.toLowerCase(),
      day,
      line.policyType,
      JSON.stringify(line.policyStrings),
      line.mxHost.toLowerCase(),
      line.result ?? "",
      line.result === null ? "" : line.receivingIp,
      line.reason,
    );
    return Promise.resolve();
  }

  due(beforeDay: string): Promise<{ domain: string; day: string }[]> {
    return Promise.resolve(
      this.#db.all<{ domain: string; day: string }>(
        "SELECT DISTINCT domain, day FROM tlsrpt_counts WHERE day < ? ORDER BY day, domain",
        beforeDay,
      ).map((r) => ({ domain: r.domain, day: r.day })),
    );
  }

  counts(domain: string, day: string): Promise<TlsRptCount[]> {
    return Promise.resolve(
      this.#db.all<Row>(
        `SELECT policy_type, policy_json, mx_host, result, receiving_ip, reason, count FROM tlsrpt_counts
       WHERE domain = ? AND day = ? ORDER BY policy_type, policy_json, mx_host, result, receiving_ip`,
        domain.toLowerCase(),
        day,
      ).map((r) => ({
        policyType: r.policy_type,
        policyStrings: JSON.parse(r.policy_json) as string[],
        mxHost: r.mx_host,
        result: r.result === "" ? null : r.result,
        receivingIp: r.receiving_ip,
        reason: r.reason,
        count: r.count,
      })),
    );
  }

  clear(domain: string, day: string): Promise<void> {
    this.#db.run("DELETE FROM tlsrpt_counts WHERE domain = ? AND day = ?", domain.toLowerCase(), day);
    return Promise.resolve();
  }
}
