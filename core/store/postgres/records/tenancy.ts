/**
 * The PostgreSQL tables of the tenancy records (issue 16): organizations with their domains, roles
 * and platform administrators, plans, daily usage counters and the one version number every change
 * bumps. The stores are the shared ones of core/store/records/sql/ (organizations, plans, usage).
 *
 * @module
 */
import type { PgMigration } from "../migrations.ts";

/** Migration component of the tenancy tables. */
export const TENANCY_COMPONENT = "tenancy";

/** Tenancy tables. */
export const TENANCY_MIGRATIONS: PgMigration[] = [{
  version: 1,
  sql: `
CREATE TABLE tenancy_version (id INTEGER PRIMARY KEY CHECK (id = 1), v BIGINT NOT NULL);
INSERT INTO tenancy_version (id, v) VALUES (1, 1);
CREATE TABLE plans (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  limits TEXT NOT NULL,
  features TEXT NOT NULL,
  mailbox_retention TEXT NOT NULL,
  created BIGINT NOT NULL
);
CREATE TABLE organizations (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  plan_id TEXT REFERENCES plans(id),
  created BIGINT NOT NULL
);
INSERT INTO organizations (id, name, plan_id, created)
  VALUES ('default', 'Default organization', NULL, (extract(epoch from now()) * 1000)::bigint);
CREATE TABLE org_domains (
  domain TEXT PRIMARY KEY REFERENCES domains(name) ON DELETE CASCADE,
  org_id TEXT NOT NULL REFERENCES organizations(id)
);
CREATE INDEX org_domains_org ON org_domains(org_id);
CREATE TABLE org_roles (
  account_id BIGINT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  role TEXT NOT NULL
);
CREATE TABLE platform_admins (
  account_id BIGINT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE
);
CREATE TABLE org_usage (
  org_id TEXT NOT NULL,
  day TEXT NOT NULL,
  received BIGINT NOT NULL DEFAULT 0,
  sent BIGINT NOT NULL DEFAULT 0,
  api_calls BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (org_id, day)
);
`,
}];
