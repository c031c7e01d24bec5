/**
 * DMARC aggregate-report data on PostgreSQL (RFC 7489 §7.2): counted result rows and the published
 * policy per domain and day for the reports Tern sends, and the reports Tern receives. Semantics as
 * core/store/sqlite/records/dmarc.ts (the row key is the same JSON text).
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

/** The identity of a result row (its JSON with the fields in a fixed order). */
function rowKey(r: DmarcRow): string {
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

/** DMARC report data. */
export class PgDmarcStore implements DmarcStore {
  /** @param db the pool */
  constructor(readonly db: PgDb) {}

  /** Counts one result row for a domain and day, with the policy published then. */
  async record(day: string, published: DmarcPublished, row: DmarcRow): Promise<void> {
    const domain = published.domain.toLowerCase();
    await this.db.transaction(async (db) => {
      await db.run(
        `INSERT INTO dmarc_rows (domain, day, row_json, count) VALUES (?, ?, ?, 1)
         ON CONFLICT (domain, day, row_json) DO UPDATE SET count = dmarc_rows.count + 1`,
        domain,
        day,
        rowKey(row),
      );
      await db.run(
        `INSERT INTO dmarc_policies (domain, day, published_json) VALUES (?, ?, ?)
         ON CONFLICT (domain, day) DO UPDATE SET published_json = excluded.published_json`,
        domain,
        day,
        JSON.stringify({ ...published, domain }),
      );
    });
  }

  /** (domain, day) pairs with data before `beforeDay`. */
  async due(beforeDay: string): Promise<{ domain: string; day: string }[]> {
    return (await this.db.all<{ domain: string; day: string }>(
      'SELECT domain, day FROM dmarc_policies WHERE day < ? ORDER BY day COLLATE "C", domain COLLATE "C"',
      beforeDay,
    )).map((r) => ({ domain: r.domain, day: r.day }));
  }

  /** The policy and counted rows of a domain and day, or null. */
  async aggregate(
    domain: string,
    day: string,
  ): Promise<{ published: DmarcPublished; rows: DmarcCountedRow[] } | null> {
    const d = domain.toLowerCase();
    const p = await this.db.get<{ published_json: string }>(
      "SELECT published_json FROM dmarc_policies WHERE domain = ? AND day = ?",
      d,
      day,
    );
    if (!p) return null;
    const rows = await this.db.all<{ row_json: string; count: number }>(
      'SELECT row_json, count FROM dmarc_rows WHERE domain = ? AND day = ? ORDER BY row_json COLLATE "C"',
      d,
      day,
    );
    return {
      published: JSON.parse(p.published_json) as DmarcPublished,
      rows: rows.map((r) => parseRow(r.row_json, r.count)),
    };
  }

  /** Drops a domain's data of a day (after its report went out). */
  async clear(domain: string, day: string): Promise<void> {
    const d = domain.toLowerCase();
    await this.db.transaction(async (db) => {
      await db.run("DELETE FROM dmarc_rows WHERE domain = ? AND day = ?", d, day);
      await db.run("DELETE FROM dmarc_policies WHERE domain = ? AND day = ?", d, day);
    });
  }

  /** Stores a received report; false when it was already stored. */
  async putReport(r: DmarcReport): Promise<boolean> {
    return (await this.db.run(
      `INSERT INTO dmarc_reports (org_name, report_id, domain, begin_ms, end_ms, received_ms, messages, passed, rows_json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (org_name, report_id) DO NOTHING`,
      r.orgName,
      r.reportId,
      r.domain.toLowerCase(),
      r.begin.getTime(),
      r.end.getTime(),
      r.received.getTime(),
      r.messages,
      r.passed,
      JSON.stringify(r.rows),
    )).changes > 0;
  }

  /** Received reports, newest first. */
  async listReports(limit: number): Promise<DmarcReport[]> {
    return (await this.db.all<ReportRow>(
      'SELECT * FROM dmarc_reports ORDER BY received_ms DESC, org_name COLLATE "C", report_id COLLATE "C" LIMIT ?',
      limit,
    )).map((r) => ({
      orgName: r.org_name,
      reportId: r.report_id,
      domain: r.domain,
      begin: new Date(r.begin_ms),
      end: new Date(r.end_ms),
      received: new Date(r.received_ms),
      messages: r.messages,
      passed: r.passed,
      rows: JSON.parse(r.rows_json) as DmarcCountedRow[],
    }));
  }
}
