/**
 * The "tenancy" component's tables (issue 16): plans, organizations, domain ownership, roles,
 * platform administrators, daily usage counters, and one version number every change bumps.
 * Existing domains (and so accounts) need no row: an unassigned domain is the default
 * organization's.
 *
 * @module
 */
import type { Database } from "../database.ts";

/** Applies the "tenancy" migrations. */
export function migrateTenancy(db: Database): void {
  db.applyMigrations("tenancy", [{
    version: 1,
    sql: `
      CREATE TABLE tenancy_version (id INTEGER PRIMARY KEY CHECK (id = 1), v INTEGER NOT NULL) STRICT;
      INSERT INTO tenancy_version (id, v) VALUES (1, 1);
      CREATE TABLE plans (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        limits TEXT NOT NULL,
        features TEXT NOT NULL,
        mailbox_retention TEXT NOT NULL,
        created INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE organizations (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        plan_id TEXT REFERENCES plans(id),
        created INTEGER NOT NULL
      ) STRICT;
      INSERT INTO organizations (id, name, plan_id, created)
        VALUES ('default', 'Default organization', NULL, CAST(strftime('%s', 'now') AS INTEGER) * 1000);
      CREATE TABLE org_domains (
        domain TEXT PRIMARY KEY REFERENCES domains(name) ON DELETE CASCADE,
        org_id TEXT NOT NULL REFERENCES organizations(id)
      ) STRICT;
      CREATE INDEX org_domains_org ON org_domains(org_id);
      CREATE TABLE org_roles (
        account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
        role TEXT NOT NULL
      ) STRICT;
      CREATE TABLE platform_admins (
        account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE
      ) STRICT;
      CREATE TABLE org_usage (
        org_id TEXT NOT NULL,
        day TEXT NOT NULL,
        received INTEGER NOT NULL DEFAULT 0,
        sent INTEGER NOT NULL DEFAULT 0,
        api_calls INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (org_id, day)
      ) STRICT;
    `,
  }]);
}

/** Bumps the tenancy version (inside the caller's transaction). */
export function bumpTenancyVersion(db: Database): void {
  db.run("UPDATE tenancy_version SET v = v + 1 WHERE id = 1");
}
