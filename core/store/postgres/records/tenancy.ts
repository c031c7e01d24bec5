/**
 * The tenancy records on PostgreSQL (issue 16): organizations with their domains, roles and
 * platform administrators, plans, and daily usage counters. Every change bumps one version number
 * (caches elsewhere compare it). Semantics as core/store/sqlite/records/{organizations,plans,usage}.ts.
 *
 * @module
 */
import {
  DEFAULT_ORGANIZATION,
  type Organization,
  type OrganizationStore,
  type OrgResources,
  type OrgRole,
} from "../../records/organizations.ts";
import { ALL_FEATURES, type Plan, type PlanPatch, type PlanStore, UNLIMITED } from "../../records/plans.ts";
import type { UsageCounts, UsageDelta, UsageStore } from "../../records/usage.ts";
import { type AccountId, StoreError } from "../../types.ts";
import { formatId, parseId } from "../../ids.ts";
import type { PgMigration } from "../migrations.ts";
import type { PgDb } from "./db.ts";

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

async function bump(db: PgDb): Promise<void> {
  await db.run("UPDATE tenancy_version SET v = v + 1 WHERE id = 1");
}

interface OrgRow {
  id: string;
  name: string;
  plan_id: string | null;
  created: number;
}

const toOrg = (r: OrgRow): Organization => ({
  id: r.id,
  name: r.name,
  planId: r.plan_id,
  created: new Date(r.created),
});

const orgOf = (col: string) =>
  `coalesce((SELECT org_id FROM org_domains od WHERE od.domain = ${col}), 'default')`;

/** Organizations, domain ownership and roles. */
export class PgOrganizationStore implements OrganizationStore {
  /** @param db the pool @param now the clock in ms */
  constructor(readonly db: PgDb, readonly now: () => number) {}

  async #get(db: PgDb, id: string): Promise<Organization | null> {
    const row = await db.get<OrgRow>("SELECT * FROM organizations WHERE id = ?", id);
    return row ? toOrg(row) : null;
  }

  async #must(db: PgDb, id: string): Promise<Organization> {
    const o = await this.#get(db, id);
    if (!o) throw new StoreError("notFound", `No organization ${id}`);
    return o;
  }

  async #checkPlan(db: PgDb, planId: string | null | undefined): Promise<void> {
    if (planId && !(await db.get("SELECT 1 AS x FROM plans WHERE id = ?", planId))) {
      throw new StoreError("notFound", `No plan ${planId}`);
    }
  }

  async #accountRow(db: PgDb, accountId: AccountId): Promise<{ id: number; domain: string } | null> {
    const row = parseId("account", accountId);
    if (row === null) return null;
    return (await db.get<{ id: number; domain: string }>(
      "SELECT id, domain FROM accounts WHERE id = ?",
      row,
    )) ??
      null;
  }

  async #orgOfDomain(db: PgDb, domain: string): Promise<string> {
    return (await db.get<{ org_id: string }>(
      "SELECT org_id FROM org_domains WHERE domain = ?",
      domain.toLowerCase(),
    ))
      ?.org_id ?? DEFAULT_ORGANIZATION;
  }

  /** Creates an organization. */
  create(input: { id: string; name?: string; planId?: string | null }): Promise<Organization> {
    return this.db.transaction(async (db) => {
      if (await this.#get(db, input.id)) {
        throw new StoreError("alreadyExists", `Organization ${input.id} exists`);
      }
      await this.#checkPlan(db, input.planId);
      const org: Organization = {
        id: input.id,
        name: input.name ?? input.id,
        planId: input.planId ?? null,
        created: new Date(this.now()),
      };
      await db.run(
        "INSERT INTO organizations (id, name, plan_id, created) VALUES (?, ?, ?, ?)",
        org.id,
        org.name,
        org.planId,
        org.created.getTime(),
      );
      await bump(db);
      return org;
    });
  }

  /** One organization, or null. */
  get(id: string): Promise<Organization | null> {
    return this.#get(this.db, id);
  }

  /** Every organization, by id. */
  async list(): Promise<Organization[]> {
    return (await this.db.all<OrgRow>('SELECT * FROM organizations ORDER BY id COLLATE "C"')).map(toOrg);
  }

  /** Renames an organization or changes its plan. */
  update(id: string, patch: { name?: string; planId?: string | null }): Promise<Organization> {
    return this.db.transaction(async (db) => {
      const o = await this.#must(db, id);
      await this.#checkPlan(db, patch.planId);
      const next = {
        ...o,
        name: patch.name ?? o.name,
        planId: patch.planId === undefined ? o.planId : patch.planId,
      };
      await db.run("UPDATE organizations SET name = ?, plan_id = ? WHERE id = ?", next.name, next.planId, id);
      await bump(db);
      return next;
    });
  }

  /** Deletes an organization that owns no domain (never the default one). */
  delete(id: string): Promise<void> {
    return this.db.transaction(async (db) => {
      if (id === DEFAULT_ORGANIZATION) throw new StoreError("forbidden", "The default organization stays");
      await this.#must(db, id);
      if (await db.get("SELECT 1 AS x FROM org_domains WHERE org_id = ? LIMIT 1", id)) {
        throw new StoreError("hasChildren", `Organization ${id} still owns domains`);
      }
      await db.run("DELETE FROM organizations WHERE id = ?", id);
      await bump(db);
    });
  }

  /** Moves a domain (and so its accounts) to an organization. */
  assignDomain(domain: string, orgId: string): Promise<void> {
    const name = domain.toLowerCase();
    return this.db.transaction(async (db) => {
      if (!(await db.get("SELECT 1 AS x FROM domains WHERE name = ?", name))) {
        throw new StoreError("notFound", `${name} is not a local domain`);
      }
      await this.#must(db, orgId);
      if ((await this.#orgOfDomain(db, name)) === orgId) return;
      // Roles are per organization: accounts moving with their domain start as members.
      await db.run(
        "DELETE FROM org_roles WHERE account_id IN (SELECT id FROM accounts WHERE domain = ?)",
        name,
      );
      if (orgId === DEFAULT_ORGANIZATION) await db.run("DELETE FROM org_domains WHERE domain = ?", name);
      else {
        await db.run(
          "INSERT INTO org_domains (domain, org_id) VALUES (?, ?) ON CONFLICT (domain) DO UPDATE SET org_id = excluded.org_id",
          name,
          orgId,
        );
      }
      await bump(db);
    });
  }

  /** The organization's domains, by name. */
  async domains(orgId: string): Promise<string[]> {
    return (await this.db.all<{ name: string }>(
      `SELECT name FROM domains WHERE ${orgOf("domains.name")} = ? ORDER BY name COLLATE "C"`,
      orgId,
    )).map((r) => r.name);
  }

  /** The organization owning a domain (the default one when none does). */
  orgOfDomain(domain: string): Promise<string> {
    return this.#orgOfDomain(this.db, domain);
  }

  /** The organization of an account, or null when the account is unknown. */
  async orgOfAccount(accountId: AccountId): Promise<string | null> {
    const a = await this.#accountRow(this.db, accountId);
    return a ? await this.#orgOfDomain(this.db, a.domain) : null;
  }

  /** Sets (or, with null or "member", clears) an account's role in its organization. */
  setRole(orgId: string, accountId: AccountId, role: OrgRole | null): Promise<void> {
    return this.db.transaction(async (db) => {
      const a = await this.#accountRow(db, accountId);
      if (!a) throw new StoreError("notFound", `No account ${accountId}`);
      if ((await this.#orgOfDomain(db, a.domain)) !== orgId) {
        throw new StoreError("invalid", `Account ${accountId} is not in organization ${orgId}`);
      }
      if (role === null || role === "member") {
        await db.run("DELETE FROM org_roles WHERE account_id = ?", a.id);
      } else {
        await db.run(
          "INSERT INTO org_roles (account_id, role) VALUES (?, ?) ON CONFLICT (account_id) DO UPDATE SET role = excluded.role",
          a.id,
          role,
        );
      }
      await bump(db);
    });
  }

  /** Roles other than member in an organization. */
  async roles(orgId: string): Promise<{ accountId: AccountId; role: OrgRole }[]> {
    return (await this.db.all<{ account_id: number; role: OrgRole }>(
      `SELECT r.account_id, r.role FROM org_roles r JOIN accounts a ON a.id = r.account_id
       WHERE ${orgOf("a.domain")} = ? ORDER BY r.account_id`,
      orgId,
    )).map((r) => ({ accountId: formatId("account", r.account_id), role: r.role }));
  }

  /** An account's role (member by default), or null when the account is unknown. */
  async roleOf(accountId: AccountId): Promise<OrgRole | null> {
    const a = await this.#accountRow(this.db, accountId);
    if (!a) return null;
    return (await this.db.get<{ role: OrgRole }>("SELECT role FROM org_roles WHERE account_id = ?", a.id))
      ?.role ??
      "member";
  }

  /** Grants or revokes platform administration. */
  setPlatformAdmin(accountId: AccountId, admin: boolean): Promise<void> {
    return this.db.transaction(async (db) => {
      const a = await this.#accountRow(db, accountId);
      if (!a) throw new StoreError("notFound", `No account ${accountId}`);
      if (admin) {
        await db.run("INSERT INTO platform_admins (account_id) VALUES (?) ON CONFLICT DO NOTHING", a.id);
      } else await db.run("DELETE FROM platform_admins WHERE account_id = ?", a.id);
      await bump(db);
    });
  }

  /** Whether an account administers the platform. */
  async isPlatformAdmin(accountId: AccountId): Promise<boolean> {
    const row = parseId("account", accountId);
    return row !== null &&
      (await this.db.get("SELECT 1 AS x FROM platform_admins WHERE account_id = ?", row)) !==
        undefined;
  }

  /** Domains, accounts, aliases and storage of an organization. */
  async resources(orgId: string): Promise<OrgResources> {
    const owned = orgId === DEFAULT_ORGANIZATION
      ? "NOT IN (SELECT domain FROM org_domains)"
      : "IN (SELECT domain FROM org_domains WHERE org_id = ?)";
    const args = orgId === DEFAULT_ORGANIZATION ? [] : [orgId];
    const acc = (await this.db.get<{ n: number; bytes: number }>(
      `SELECT count(*)::bigint AS n, coalesce(sum(used_bytes), 0)::bigint AS bytes FROM accounts WHERE domain ${owned}`,
      ...args,
    ))!;
    const dom = (await this.db.get<{ n: number }>(
      `SELECT count(*)::bigint AS n FROM domains WHERE name ${owned}`,
      ...args,
    ))!;
    const ali = (await this.db.get<{ n: number }>(
      `SELECT count(*)::bigint AS n FROM aliases WHERE domain ${owned}`,
      ...args,
    ))!;
    return { domains: dom.n, accounts: acc.n, addresses: ali.n, storageBytes: acc.bytes };
  }

  /** Sum of the organization's accounts' used bytes. */
  async storageBytes(orgId: string): Promise<number> {
    const owned = orgId === DEFAULT_ORGANIZATION
      ? "NOT IN (SELECT domain FROM org_domains)"
      : "IN (SELECT domain FROM org_domains WHERE org_id = ?)";
    return Number(
      (await this.db.get<{ bytes: number }>(
        `SELECT coalesce(sum(used_bytes), 0)::bigint AS bytes FROM accounts WHERE domain ${owned}`,
        ...(orgId === DEFAULT_ORGANIZATION ? [] : [orgId]),
      ))!.bytes,
    );
  }

  /** The tenancy version (bumped by every change). */
  async version(): Promise<number> {
    return (await this.db.get<{ v: number }>("SELECT v FROM tenancy_version WHERE id = 1"))!.v;
  }
}

interface PlanRow {
  id: string;
  name: string;
  limits: string;
  features: string;
  mailbox_retention: string;
  created: number;
}

const toPlan = (r: PlanRow): Plan => ({
  id: r.id,
  name: r.name,
  limits: { ...UNLIMITED, ...JSON.parse(r.limits) },
  features: { ...ALL_FEATURES, ...JSON.parse(r.features) },
  mailboxRetention: JSON.parse(r.mailbox_retention),
  created: new Date(r.created),
});

function merge(p: Plan, patch: PlanPatch): Plan {
  const retention = { ...p.mailboxRetention };
  for (const [k, v] of Object.entries(patch.mailboxRetention ?? {})) {
    if (v === null) delete retention[k];
    else retention[k] = v;
  }
  return {
    ...p,
    name: patch.name ?? p.name,
    limits: { ...p.limits, ...patch.limits },
    features: { ...p.features, ...patch.features },
    mailboxRetention: retention,
  };
}

/** Plans: limits and feature flags. */
export class PgPlanStore implements PlanStore {
  /** @param db the pool @param now the clock in ms */
  constructor(readonly db: PgDb, readonly now: () => number) {}

  async #get(db: PgDb, id: string): Promise<Plan | null> {
    const row = await db.get<PlanRow>("SELECT * FROM plans WHERE id = ?", id);
    return row ? toPlan(row) : null;
  }

  async #write(db: PgDb, p: Plan, insert: boolean): Promise<void> {
    const sql = insert
      ? "INSERT INTO plans (name, limits, features, mailbox_retention, created, id) VALUES (?, ?, ?, ?, ?, ?)"
      : "UPDATE plans SET name = ?, limits = ?, features = ?, mailbox_retention = ?, created = ? WHERE id = ?";
    await db.run(
      sql,
      p.name,
      JSON.stringify(p.limits),
      JSON.stringify(p.features),
      JSON.stringify(p.mailboxRetention),
      p.created.getTime(),
      p.id,
    );
    await bump(db);
  }

  /** Creates a plan (unlimited, every feature, unless the input says otherwise). */
  create(input: { id: string } & PlanPatch): Promise<Plan> {
    return this.db.transaction(async (db) => {
      if (await this.#get(db, input.id)) throw new StoreError("alreadyExists", `Plan ${input.id} exists`);
      const base: Plan = {
        id: input.id,
        name: input.id,
        limits: { ...UNLIMITED },
        features: { ...ALL_FEATURES },
        mailboxRetention: {},
        created: new Date(this.now()),
      };
      const p = merge(base, input);
      await this.#write(db, p, true);
      return p;
    });
  }

  /** One plan, or null. */
  get(id: string): Promise<Plan | null> {
    return this.#get(this.db, id);
  }

  /** Every plan, by id. */
  async list(): Promise<Plan[]> {
    return (await this.db.all<PlanRow>('SELECT * FROM plans ORDER BY id COLLATE "C"')).map(toPlan);
  }

  /** Patches a plan. */
  update(id: string, patch: PlanPatch): Promise<Plan> {
    return this.db.transaction(async (db) => {
      const p = await this.#get(db, id);
      if (!p) throw new StoreError("notFound", `No plan ${id}`);
      const next = merge(p, patch);
      await this.#write(db, next, false);
      return next;
    });
  }

  /** Deletes a plan no organization uses. */
  delete(id: string): Promise<void> {
    return this.db.transaction(async (db) => {
      if (!(await this.#get(db, id))) throw new StoreError("notFound", `No plan ${id}`);
      const used = await db.get<{ id: string }>("SELECT id FROM organizations WHERE plan_id = ? LIMIT 1", id);
      if (used) throw new StoreError("conflict", `Plan ${id} is used by organization ${used.id}`);
      await db.run("DELETE FROM plans WHERE id = ?", id);
      await bump(db);
    });
  }
}

interface SumRow {
  org_id: string;
  received: number;
  sent: number;
  api_calls: number;
}

const toCounts = (r: SumRow | undefined): UsageCounts => ({
  received: r?.received ?? 0,
  sent: r?.sent ?? 0,
  apiCalls: r?.api_calls ?? 0,
});

/** Usage counters per organization and day. */
export class PgUsageStore implements UsageStore {
  /** @param db the pool */
  constructor(readonly db: PgDb) {}

  /** Adds deltas (concurrent adds all count: one upsert each). */
  async add(deltas: UsageDelta[]): Promise<void> {
    if (deltas.length === 0) return;
    await this.db.transaction(async (db) => {
      for (const d of deltas) {
        await db.run(
          "INSERT INTO org_usage (org_id, day, received, sent, api_calls) VALUES (?, ?, ?, ?, ?) " +
            "ON CONFLICT (org_id, day) DO UPDATE SET received = org_usage.received + excluded.received, " +
            "sent = org_usage.sent + excluded.sent, api_calls = org_usage.api_calls + excluded.api_calls",
          d.orgId,
          d.day,
          d.counts.received ?? 0,
          d.counts.sent ?? 0,
          d.counts.apiCalls ?? 0,
        );
      }
    });
  }

  /** An organization's counts over days [fromDay, toDay]. */
  async sum(orgId: string, fromDay: string, toDay: string): Promise<UsageCounts> {
    return toCounts(
      await this.db.get<SumRow>(
        "SELECT org_id, coalesce(sum(received), 0)::bigint AS received, coalesce(sum(sent), 0)::bigint AS sent, " +
          "coalesce(sum(api_calls), 0)::bigint AS api_calls FROM org_usage WHERE org_id = ? AND day BETWEEN ? AND ? " +
          "GROUP BY org_id",
        orgId,
        fromDay,
        toDay,
      ),
    );
  }

  /** Every organization's counts over days [fromDay, toDay]. */
  async sumAll(fromDay: string, toDay: string): Promise<{ orgId: string; counts: UsageCounts }[]> {
    return (await this.db.all<SumRow>(
      "SELECT org_id, sum(received)::bigint AS received, sum(sent)::bigint AS sent, sum(api_calls)::bigint AS api_calls " +
        'FROM org_usage WHERE day BETWEEN ? AND ? GROUP BY org_id ORDER BY org_id COLLATE "C"',
      fromDay,
      toDay,
    )).map((r) => ({ orgId: r.org_id, counts: toCounts(r) }));
  }
}
