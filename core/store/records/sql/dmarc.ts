/**
 * `DmarcStore` in SQL, shared by SQLite and PostgreSQL (tables `dmarc_rows`, `dmarc_policies` and
 * `dmarc_reports`; each backend keeps its schema). A row's identity is its JSON (canonical key
 * order), so counting a message is one upsert.
 *
 * @module
 */
import type { DmarcCountedRow, DmarcPublished, DmarcReport, DmarcRow, DmarcStore } from "../dmarc.ts";
import { all, get, type Op, type RecordDb, run } from "./db.ts";

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

function* record(day: string, published: DmarcPublished, row: DmarcRow): Op<void> {
  const domain = published.domain.toLowerCase();
  yield* run(
    `INSERT INTO dmarc_rows (domain, day, row_json, count) VALUES (?, ?, ?, 1)
     ON CONFLICT (domain, day, row_json) DO UPDATE SET count = dmarc_rows.count + 1`,
    domain,
    day,
    rowKey(row),
  );
  yield* run(
    `INSERT INTO dmarc_policies (domain, day, published_json) VALUES (?, ?, ?)
     ON CONFLICT (domain, day) DO UPDATE SET published_json = excluded.published_json`,
    domain,
    day,
    JSON.stringify({ ...published, domain }),
  );
}

function* aggregate(
  bytes: string,
  domain: string,
  day: string,
): Op<{ published: DmarcPublished; rows: DmarcCountedRow[] } | null> {
  const d = domain.toLowerCase();
  const p = yield* get<{ published_json: string }>(
    "SELECT published_json FROM dmarc_policies WHERE domain = ? AND day = ?",
    d,
    day,
  );
  if (!p) return null;
  const rows = yield* all<{ row_json: string; count: number }>(
    `SELECT row_json, count FROM dmarc_rows WHERE domain = ? AND day = ? ORDER BY row_json${bytes}`,
    d,
    day,
  );
  return {
    published: JSON.parse(p.published_json) as DmarcPublished,
    rows: rows.map((r) => parseRow(r.row_json, r.count)),
  };
}

function* clear(domain: string, day: string): Op<void> {
  const d = domain.toLowerCase();
  yield* run("DELETE FROM dmarc_rows WHERE domain = ? AND day = ?", d, day);
  yield* run("DELETE FROM dmarc_policies WHERE domain = ? AND day = ?", d, day);
}

/** DMARC report data over either backend. */
export class SqlDmarcStore implements DmarcStore {
  /** @param db the backend, its "dmarc" schema applied */
  constructor(protected readonly db: RecordDb) {}

  /** Counts one result row for a domain and day, with the policy published then. */
  async record(day: string, published: DmarcPublished, row: DmarcRow): Promise<void> {
    await this.db.atomic(record(day, published, row));
  }

  /** (domain, day) pairs with data before `beforeDay`. */
  async due(beforeDay: string): Promise<{ domain: string; day: string }[]> {
    const b = this.db.dialect.bytes;
    const rows = await this.db.read(all<{ domain: string; day: string }>(
      `SELECT domain, day FROM dmarc_policies WHERE day < ? ORDER BY day${b}, domain${b}`,
      beforeDay,
    ));
    return rows.map((r) => ({ domain: r.domain, day: r.day }));
  }

  /** The policy and counted rows of a domain and day, or null. */
  aggregate(
    domain: string,
    day: string,
  ): Promise<{ published: DmarcPublished; rows: DmarcCountedRow[] } | null> {
    return this.db.read(aggregate(this.db.dialect.bytes, domain, day));
  }

  /** Drops a domain's data of a day (after its report went out). */
  async clear(domain: string, day: string): Promise<void> {
    await this.db.atomic(clear(domain, day));
  }

  /** Stores a received report; false when it was already stored. */
  async putReport(r: DmarcReport): Promise<boolean> {
    return (await this.db.write(run(
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
    ))) > 0;
  }

  /** Received reports, newest first. */
  async listReports(limit: number): Promise<DmarcReport[]> {
    const b = this.db.dialect.bytes;
    const rows = await this.db.read(all<ReportRow>(
      `SELECT * FROM dmarc_reports ORDER BY received_ms DESC, org_name${b}, report_id${b} LIMIT ?`,
      limit,
    ));
    return rows.map((r) => ({
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
