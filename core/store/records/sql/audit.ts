/**
 * `AuditStore` in SQL, shared by SQLite and PostgreSQL (table `audit_log`; each backend keeps its
 * schema). Entry ids sort by time, so the log pages by id.
 *
 * @module
 */
import type { AuditEntry, AuditQuery, AuditStore } from "../audit.ts";
import { all, type Param, type RecordDb, run } from "./db.ts";

interface AuditRow {
  id: string;
  at: number;
  kind: string;
  action: string;
  actor: string;
  actor_org_id: string | null;
  org_id: string | null;
  target: string | null;
  before_json: string | null;
  after_json: string | null;
  ip: string | null;
  request_id: string | null;
}

const parse = (s: string | null): Record<string, unknown> | null =>
  s === null ? null : JSON.parse(s) as Record<string, unknown>;

const toEntry = (r: AuditRow): AuditEntry => ({
  id: r.id,
  at: new Date(r.at),
  kind: r.kind === "security" ? "security" : "change",
  action: r.action,
  actor: r.actor,
  actorOrgId: r.actor_org_id,
  orgId: r.org_id,
  target: r.target,
  before: parse(r.before_json),
  after: parse(r.after_json),
  ip: r.ip,
  requestId: r.request_id,
});

/** The audit log over either backend. */
export class SqlAuditStore implements AuditStore {
  /** @param db the backend, its audit schema applied */
  constructor(protected readonly db: RecordDb) {}

  /** Appends an entry. */
  async append(e: AuditEntry): Promise<void> {
    await this.db.write(run(
      `INSERT INTO audit_log (id, at, kind, action, actor, actor_org_id, org_id, target, before_json,
         after_json, ip, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      e.id,
      e.at.getTime(),
      e.kind,
      e.action,
      e.actor,
      e.actorOrgId,
      e.orgId,
      e.target,
      e.before === null ? null : JSON.stringify(e.before),
      e.after === null ? null : JSON.stringify(e.after),
      e.ip,
      e.requestId,
    ));
  }

  /** Entries newest first (ids sort by time), filtered. */
  async list(q: AuditQuery): Promise<AuditEntry[]> {
    const b = this.db.dialect.bytes;
    const conds: string[] = [];
    const params: Param[] = [];
    if (q.orgId !== undefined) {
      conds.push("org_id = ?");
      params.push(q.orgId);
    }
    if (q.kind !== undefined) {
      conds.push("kind = ?");
      params.push(q.kind);
    }
    if (q.actionPrefix !== undefined) {
      conds.push("substr(action, 1, CAST(? AS INTEGER)) = ?");
      params.push(q.actionPrefix.length, q.actionPrefix);
    }
    if (q.beforeId !== undefined) {
      conds.push(`id${b} < ?`);
      params.push(q.beforeId);
    }
    const sql = `SELECT * FROM audit_log ${conds.length ? "WHERE " + conds.join(" AND ") : ""} ` +
      `ORDER BY id${b} DESC LIMIT ?`;
    params.push(Math.max(0, Math.min(q.limit, 10_000)));
    return (await this.db.read(all<AuditRow>(sql, ...params))).map(toEntry);
  }
}
