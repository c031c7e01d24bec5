/**
 * TLS-RPT counts on PostgreSQL (RFC 8460, component "tlsrpt"). Semantics as
 * core/store/sqlite/records/tlsrpt.ts.
 *
 * @module
 */
import type { TlsRptCount, TlsRptStore } from "../../records/tlsrpt.ts";
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

interface Row {
  policy_type: string;
  policy_json: string;
  mx_host: string;
  result: string;
  receiving_ip: string;
  reason: string | null;
  count: number;
}

/** TLS-RPT counts. */
export class PgTlsRptStore implements TlsRptStore {
  /** @param db the pool */
  constructor(readonly db: PgDb) {}

  /** Counts one session. */
  async record(day: string, domain: string, line: Omit<TlsRptCount, "count">): Promise<void> {
    await this.db.run(
      `INSERT INTO tlsrpt_counts (domain, day, policy_type, policy_json, mx_host, result, receiving_ip, reason, count)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)
       ON CONFLICT (domain, day, policy_type, policy_json, mx_host, result, receiving_ip)
       DO UPDATE SET count = tlsrpt_counts.count + 1, reason = COALESCE(excluded.reason, tlsrpt_counts.reason)`,
      domain.toLowerCase(),
      day,
      line.policyType,
      JSON.stringify(line.policyStrings),
      line.mxHost.toLowerCase(),
      line.result ?? "",
      line.result === null ? "" : line.receivingIp,
      line.reason,
    );
  }

  /** (domain, day) pairs with counts before `beforeDay`. */
  async due(beforeDay: string): Promise<{ domain: string; day: string }[]> {
    return (await this.db.all<{ domain: string; day: string }>(
      "SELECT domain, day FROM tlsrpt_counts WHERE day < ? GROUP BY domain, day " +
        'ORDER BY day COLLATE "C", domain COLLATE "C"',
      beforeDay,
    )).map((r) => ({ domain: r.domain, day: r.day }));
  }

  /** The counted lines of a domain's day. */
  async counts(domain: string, day: string): Promise<TlsRptCount[]> {
    return (await this.db.all<Row>(
      `SELECT policy_type, policy_json, mx_host, result, receiving_ip, reason, count FROM tlsrpt_counts
       WHERE domain = ? AND day = ? ORDER BY policy_type COLLATE "C", policy_json COLLATE "C",
       mx_host COLLATE "C", result COLLATE "C", receiving_ip COLLATE "C"`,
      domain.toLowerCase(),
      day,
    )).map((r) => ({
      policyType: r.policy_type,
      policyStrings: JSON.parse(r.policy_json) as string[],
      mxHost: r.mx_host,
      result: r.result === "" ? null : r.result,
      receivingIp: r.receiving_ip,
      reason: r.reason,
      count: Number(r.count),
    }));
  }

  /** Drops a domain's counts of a day. */
  async clear(domain: string, day: string): Promise<void> {
    await this.db.run("DELETE FROM tlsrpt_counts WHERE domain = ? AND day = ?", domain.toLowerCase(), day);
  }
}
