/**
 * Operational records on PostgreSQL: daily counters (core/stats), health-check history
 * (core/health), notification claims (core/notify) and the audit log (core/audit). Semantics as
 * the SQLite implementations in core/store/sqlite/records/.
 *
 * @module
 */
import type { DailyCount, DailyCounterStore } from "../../records/daily_counters.ts";
import type {
  ComponentResult,
  HealthCheckRecord,
  HealthCheckStore,
  HealthStatus,
} from "../../records/health_checks.ts";
import type { NotificationStore } from "../../records/notifications.ts";
import type { AuditEntry, AuditQuery, AuditStore } from "../../records/audit.ts";
import type { PgMigration } from "../migrations.ts";
import type { Param, PgDb } from "./db.ts";

/** Migration component of these tables. */
export const OPS_COMPONENT = "ops";

/** Tables of the operational records. */
export const OPS_MIGRATIONS: PgMigration[] = [{
  version: 1,
  sql: `
CREATE TABLE health_checks (
  id BIGSERIAL PRIMARY KEY,
  checked_ms BIGINT NOT NULL,
  status TEXT NOT NULL,
  components TEXT NOT NULL
);
CREATE INDEX health_checks_time ON health_checks (checked_ms);
CREATE TABLE daily_counters (
  day TEXT NOT NULL,
  name TEXT NOT NULL,
  value BIGINT NOT NULL,
  PRIMARY KEY (day, name)
);
CREATE TABLE notifications_sent (
  key TEXT PRIMARY KEY,
  last_sent BIGINT NOT NULL
);
CREATE TABLE audit_log (
  id TEXT PRIMARY KEY,
  at BIGINT NOT NULL,
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
);
CREATE INDEX audit_log_org ON audit_log(org_id, id);
`,
}];

/** Platform-wide counters per day. */
export class PgDailyCounterStore implements DailyCounterStore {
  /** @param db the pool */
  constructor(readonly db: PgDb) {}

  /** Adds increments (zero ones skipped). */
  async add(increments: DailyCount[]): Promise<void> {
    const live = increments.filter((i) => i.value !== 0);
    if (live.length === 0) return;
    await this.db.transaction(async (db) => {
      for (const i of live) {
        await db.run(
          "INSERT INTO daily_counters (day, name, value) VALUES (?, ?, ?) " +
            "ON CONFLICT (day, name) DO UPDATE SET value = daily_counters.value + excluded.value",
          i.day,
          i.name,
          i.value,
        );
      }
    });
  }

  /** Counters of days [fromDay, toDay], by day and name. */
  async list(fromDay: string, toDay: string): Promise<DailyCount[]> {
    return (await this.db.all<DailyCount>(
      'SELECT day, name, value FROM daily_counters WHERE day BETWEEN ? AND ? ORDER BY day COLLATE "C", name COLLATE "C"',
      fromDay,
      toDay,
    )).map((r) => ({ day: r.day, name: r.name, value: r.value }));
  }
}

interface HealthRow {
  checked_ms: number;
  status: string;
  components: string;
}

/** Health-check history. */
export class PgHealthCheckStore implements HealthCheckStore {
  /** @param db the pool */
  constructor(readonly db: PgDb) {}

  /** Adds one check. */
  async add(record: HealthCheckRecord): Promise<void> {
    await this.db.run(
      "INSERT INTO health_checks (checked_ms, status, components) VALUES (?, ?, ?)",
      record.checkedAt.getTime(),
      record.status,
      JSON.stringify(record.components),
    );
  }

  /** Checks since a time, newest first, at most `limit`. */
  async list(opts: { since?: Date; limit: number }): Promise<HealthCheckRecord[]> {
    return (await this.db.all<HealthRow>(
      "SELECT checked_ms, status, components FROM health_checks WHERE checked_ms >= ? " +
        "ORDER BY checked_ms DESC, id DESC LIMIT ?",
      opts.since?.getTime() ?? 0,
      Math.max(0, Math.floor(opts.limit)),
    )).map((r) => ({
      checkedAt: new Date(r.checked_ms),
      status: r.status as HealthStatus,
      components: JSON.parse(r.components) as ComponentResult[],
    }));
  }

  /** Drops checks older than `before`; returns how many. */
  async prune(before: Date): Promise<number> {
    return (await this.db.run("DELETE FROM health_checks WHERE checked_ms < ?", before.getTime())).changes;
  }
}

/** Notification claims: one notice per cause and window. */
export class PgNotificationStore implements NotificationStore {
  /** @param db the pool */
  constructor(readonly db: PgDb) {}

  /** Claims a cause unless it was claimed at or after `since` (one statement: exactly one claimer wins). */
  async claim(key: string, now: Date, since: Date): Promise<boolean> {
    const row = await this.db.get(
      "INSERT INTO notifications_sent (key, last_sent) VALUES (?, ?) " +
        "ON CONFLICT (key) DO UPDATE SET last_sent = excluded.last_sent WHERE notifications_sent.last_sent < ? " +
        "RETURNING key",
      key,
      now.getTime(),
      since.getTime(),
    );
    return row !== undefined;
  }

  /** Forgets a claim. */
  async release(key: string): Promise<void> {
    await this.db.run("DELETE FROM notifications_sent WHERE key = ?", key);
  }

  /** Drops claims older than `before`; returns how many. */
  async prune(before: Date): Promise<number> {
    return (await this.db.run("DELETE FROM notifications_sent WHERE last_sent < ?", before.getTime()))
      .changes;
  }
}

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

/** The audit log. */
export class PgAuditStore implements AuditStore {
  /** @param db the pool */
  constructor(readonly db: PgDb) {}

  /** Appends an entry. */
  async append(e: AuditEntry): Promise<void> {
    await this.db.run(
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
  }

  /** Entries newest first (ids sort by time), filtered. */
  async list(q: AuditQuery): Promise<AuditEntry[]> {
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
      conds.push("left(action, ?::int) = ?");
      params.push(q.actionPrefix.length, q.actionPrefix);
    }
    if (q.beforeId !== undefined) {
      conds.push('id COLLATE "C" < ?');
      params.push(q.beforeId);
    }
    const sql = `SELECT * FROM audit_log ${conds.length ? "WHERE " + conds.join(" AND ") : ""} ` +
      'ORDER BY id COLLATE "C" DESC LIMIT ?';
    params.push(Math.max(0, Math.min(q.limit, 10_000)));
    return (await this.db.all<AuditRow>(sql, ...params)).map((r) => ({
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
    }));
  }
}
