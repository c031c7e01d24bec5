/**
 * SQLite implementation of `AuditStore` (component "audit", table `audit_log`).
 *
 * @module
 */
import type { AuditEntry, AuditQuery, AuditStore } from "../../records/audit.ts";
import type { Database, SqlValue } from "../database.ts";

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

/** Applies the "audit" migrations. */
export function migrateAudit(db: Database): void {
  db.applyMigrations("audit", [{
    version: 1,
    sql: `CREATE TABLE audit_log (
      id TEXT PRIMARY KEY,
      at INTEGER NOT NULL,
      kind TEXT NOT NULL,
      action TEXT NOT NULL,
      actor TEXT NOT NULL,
      actor_org_id TEXT,
      org_id TEXT,
      target TEXT,
      before_json TEXT,
      after_json TEXT,
      ip TEXT,
      request_id TEXT
    ) STRICT;
    CREATE INDEX audit_log_org ON audit_log(org_id, id);`,
  }]);
}

/** The audit log in the store database. */
export class SqliteAuditStore implements AuditStore {
  readonly #db: Database;

  /** @param db the store database, "audit" schema applied */
  constructor(db: Database) {
    this.#db = db;
  }

  append(e: AuditEntry): Promise<void> {
    this.#db.run(
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
    );
    return Promise.resolve();
  }

  list(q: AuditQuery): Promise<AuditEntry[]> {
    const conds: string[] = [];
    const params: SqlValue[] = [];
    if (q.orgId !== undefined) {
      conds.push("org_id = ?");
      params.push(q.orgId);
    }
    if (q.kind !== undefined) {
      conds.push("kind = ?");
      params.push(q.kind);
    }
    if (q.actionPrefix !== undefined) {
      conds.push("substr(action, 1, ?) = ?");
      params.push(q.actionPrefix.length, q.actionPrefix);
    }
    if (q.beforeId !== undefined) {
      conds.push("id < ?");
      params.push(q.beforeId);
    }
    const sql = `SELECT * FROM audit_log ${conds.length ? "WHERE " + conds.join(" AND ") : ""} ` +
      "ORDER BY id DESC LIMIT ?";
    params.push(Math.max(0, Math.min(q.limit, 10_000)));
    return Promise.resolve(this.#db.all<AuditRow>(sql, ...params).map(toEntry));
  }
}
