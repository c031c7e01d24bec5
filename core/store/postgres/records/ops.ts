/**
 * The PostgreSQL tables of the operational records: daily counters (core/stats), health-check
 * history (core/health), notification claims (core/notify) and the audit log (core/audit). The stores
 * are the shared ones of core/store/records/sql/ (daily_counters, health_checks, notifications,
 * audit).
 *
 * @module
 */
import type { PgMigration } from "../migrations.ts";

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
