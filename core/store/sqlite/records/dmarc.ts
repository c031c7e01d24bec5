/**
 * SQLite implementation of `DmarcStore` (component "dmarc", tables `dmarc_rows`, `dmarc_policies`
 * and `dmarc_reports`). A row's identity is its JSON (canonical key order), so counting a message is
 * one upsert.
 *
 * @module
 */
import type {
  DmarcCountedRow,
  DmarcPublished,
  DmarcReport,
  DmarcRow,
  DmarcStore,
} from "../../records/dmarc.ts";
import type { Database } from "../database.ts";

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

/** The row in one canonical JSON form (fixed key order), so equal rows share a key. */
export function rowKey(r: DmarcRow): string {
  return JSON.stringify({
    sourceIp: r.sourceIp,
    headerFrom: r.headerFrom,
    disposition: r.disposition,
    dkim: r.dkim,
    spf: r.spf,
    override: r.override ?? null,
    envelopeFrom: r.envelopeFrom,
    dkimResults: r.dkimResults.map((d) => ({ domain: d.domain, selector: d.selector, result: d.result })),
    spfResult: { domain: r.spfResult.domain, scope: r.spfResult.scope, result: r.spfResult.result },
  });
}

function parseRow(json: string, count: number): DmarcCountedRow {
  const r = JSON.parse(json) as DmarcRow & { override: DmarcRow["override"] | null };
  const { override, ...rest } = r;
  return { ...rest, ...(override ? { override } : {}), count };
}

interface ReportRow {
  org_name: string;
  report_id: string;
  domain: string;
  begin_ms: number;
  end_ms: number;
  received_ms: number;
  messages: number;
  passed: number;
  rows_json: string;
}

/** DMARC records in the store database. */
export class SqliteDmarcStore implements DmarcStore {
  readonly #db: Database;

  /** @param db the store database, "dmarc" schema applied */
  constructor(db: Database) {
    this.#db = db;
  }

  record(day: string, published: DmarcPublished, row: DmarcRow): Promise<void> {
    const domain = published.domain.toLowerCase();
    this.#db.transaction(() => {
      this.#db.run(
        `INSERT INTO dmarc_rows (domain, day, row_json, count) VALUES (?, ?, ?, 1)
         ON CONFLICT(domain, day, row_json) DO UPDATE SET count = count + 1`,
        domain,
        day,
        rowKey(row),
      );
      this.#db.run(
        `INSERT INTO dmarc_policies (domain, day, published_json) VALUES (?, ?, ?)
         ON CONFLICT(domain, day) DO UPDATE SET published_json = excluded.published_json`,
        domain,
        day,
        JSON.stringify({ ...published, domain }),
      );
    });
    return Promise.resolve();
  }

  due(beforeDay: string): Promise<{ domain: string; day: string }[]> {
    const rows = this.#db.all<{ domain: string; day: string }>(
      "SELECT domain, day FROM dmarc_policies WHERE day < ? ORDER BY day, domain",
      beforeDay,
    );
    return Promise.resolve(rows.map((r) => ({ domain: r.domain, day: r.day })));
  }

  aggregate(domain: string, day: string) {
    const d = domain.toLowerCase();
    const p = this.#db.get<{ published_json: string }>(
      "SELECT published_json FROM dmarc_policies WHERE domain = ? AND day = ?",
      d,
      day,
    );
    if (!p) return Promise.resolve(null);
    const rows = this.#db.all<{ row_json: string; count: number }>(
      "SELECT row_json, count FROM dmarc_rows WHERE domain = ? AND day = ? ORDER BY row_json",
      d,
      day,
    );
    return Promise.resolve({
      published: JSON.parse(p.published_json) as DmarcPublished,
      rows: rows.map((r) => parseRow(r.row_json, r.count)),
    });
  }

  clear(domain: string, day: string): Promise<void> {
    const d = domain.toLowerCase();
    this.#db.transaction(() => {
      this.#db.run("DELETE FROM dmarc_rows WHERE domain = ? AND day = ?", d, day);
      this.#db.run("DELETE FROM dmarc_policies WHERE domain = ? AND day = ?", d, day);
    });
    return Promise.resolve();
  }

  putReport(r: DmarcReport): Promise<boolean> {
    const res = this.#db.run(
      `INSERT INTO dmarc_reports (org_name, report_id, domain, begin_ms, end_ms, received_ms, messages, passed, rows_json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(org_name, report_id) DO NOTHING`,
      r.orgName,
      r.reportId,
      r.domain.toLowerCase(),
      r.begin.getTime(),
      r.end.getTime(),
      r.received.getTime(),
      r.messages,
      r.passed,
      JSON.stringify(r.rows),
    );
    return Promise.resolve(res.changes > 0);
  }

  listReports(limit: number): Promise<DmarcReport[]> {
    const rows = this.#db.all<ReportRow>(
      "SELECT * FROM dmarc_reports ORDER BY received_ms DESC, org_name, report_id LIMIT ?",
      limit,
    );
    return Promise.resolve(rows.map((r) => ({
      orgName: r.org_name,
      reportId: r.report_id,
      domain: r.domain,
      begin: new Date(r.begin_ms),
      end: new Date(r.end_ms),
      received: new Date(r.received_ms),
      messages: r.messages,
      passed: r.passed,
      rows: JSON.parse(r.rows_json) as DmarcCountedRow[],
    })));
  }
}
