/**
 * `TlsRptStore` (RFC 8460) in SQL, shared by SQLite and PostgreSQL (table `tlsrpt_counts`; each
 * backend keeps its schema): one row per policy domain, day, policy, MX host, result and receiving
 * address, counted by upsert.
 *
 * @module
 */
import type { TlsRptCount, TlsRptStore } from "../tlsrpt.ts";
import { all, type RecordDb, run } from "./db.ts";

interface Row {
  policy_type: string;
  policy_json: string;
  mx_host: string;
  result: string;
  receiving_ip: string;
  reason: string | null;
  count: number;
}

/** TLS-RPT counts over either backend. */
export class SqlTlsRptStore implements TlsRptStore {
  /** @param db the backend, its "tlsrpt" schema applied */
  constructor(protected readonly db: RecordDb) {}

  /** Counts one session. */
  async record(day: string, domain: string, line: Omit<TlsRptCount, "count">): Promise<void> {
    await this.db.write(run(
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
    ));
  }

  /** (domain, day) pairs with counts before `beforeDay`. */
  async due(beforeDay: string): Promise<{ domain: string; day: string }[]> {
    const b = this.db.dialect.bytes;
    return (await this.db.read(all<{ domain: string; day: string }>(
      `SELECT domain, day FROM tlsrpt_counts WHERE day < ? GROUP BY domain, day ORDER BY day${b}, domain${b}`,
      beforeDay,
    ))).map((r) => ({ domain: r.domain, day: r.day }));
  }

  /** The counted lines of a domain's day. */
  async counts(domain: string, day: string): Promise<TlsRptCount[]> {
    const b = this.db.dialect.bytes;
    return (await this.db.read(all<Row>(
      `SELECT policy_type, policy_json, mx_host, result, receiving_ip, reason, count FROM tlsrpt_counts
       WHERE domain = ? AND day = ? ORDER BY policy_type${b}, policy_json${b}, mx_host${b}, result${b},
       receiving_ip${b}`,
      domain.toLowerCase(),
      day,
    ))).map((r) => ({
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
    await this.db.write(
      run("DELETE FROM tlsrpt_counts WHERE domain = ? AND day = ?", domain.toLowerCase(), day),
    );
  }
}
