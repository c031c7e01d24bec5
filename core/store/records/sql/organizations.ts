/**
 * `OrganizationStore` (issue 16) in SQL, shared by SQLite and PostgreSQL (tables `organizations`,
 * `org_domains`, `org_roles`, `platform_admins`; each backend keeps its schema). A domain without
 * an `org_domains` row is the default organization's. Every change bumps the tenancy version.
 *
 * @module
 */
import {
  DEFAULT_ORGANIZATION,
  type Organization,
  type OrganizationStore,
  type OrgResources,
  type OrgRole,
} from "../organizations.ts";
import { type AccountId, StoreError } from "../../types.ts";
import { formatId, parseId } from "../../ids.ts";
import { all, get, type Op, type Param, type RecordDb, run } from "./db.ts";
import { bumpVersion } from "./tenancy_version.ts";

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

/** SQL of the organization owning `accounts.domain`-like column `col`. */
const orgOf = (col: string) =>
  `coalesce((SELECT org_id FROM org_domains od WHERE od.domain = ${col}), 'default')`;

/** The condition on a domain column that it is the organization's, and its parameters. */
function owned(orgId: string): { sql: string; params: Param[] } {
  // An organization's own domains go through the index; the default one's are the rest.
  return orgId === DEFAULT_ORGANIZATION
    ? { sql: "NOT IN (SELECT domain FROM org_domains)", params: [] }
    : { sql: "IN (SELECT domain FROM org_domains WHERE org_id = ?)", params: [orgId] };
}

/** The SQL summing the organization's accounts' used bytes (`bytes`). */
export function storageQuery(orgId: string): Op<{ bytes: number } | undefined> {
  const o = owned(orgId);
  return get<{ bytes: number }>(
    `SELECT CAST(coalesce(sum(used_bytes), 0) AS BIGINT) AS bytes FROM accounts WHERE domain ${o.sql}`,
    ...o.params,
  );
}

/** The SQL reading the tenancy version (`v`). */
export function versionQuery(): Op<{ v: number } | undefined> {
  return get<{ v: number }>("SELECT v FROM tenancy_version WHERE id = 1");
}

function* getOrg(id: string): Op<Organization | null> {
  const row = yield* get<OrgRow>("SELECT * FROM organizations WHERE id = ?", id);
  return row ? toOrg(row) : null;
}

function* mustOrg(id: string): Op<Organization> {
  const o = yield* getOrg(id);
  if (!o) throw new StoreError("notFound", `No organization ${id}`);
  return o;
}

function* checkPlan(planId: string | null | undefined): Op<void> {
  if (planId && !(yield* get("SELECT 1 AS x FROM plans WHERE id = ?", planId))) {
    throw new StoreError("notFound", `No plan ${planId}`);
  }
}

function* accountRow(accountId: AccountId): Op<{ id: number; domain: string } | null> {
  const row = parseId("account", accountId);
  if (row === null) return null;
  return (yield* get<{ id: number; domain: string }>("SELECT id, domain FROM accounts WHERE id = ?", row)) ??
    null;
}

function* orgOfDomain(domain: string): Op<string> {
  return (yield* get<{ org_id: string }>(
    "SELECT org_id FROM org_domains WHERE domain = ?",
    domain.toLowerCase(),
  ))
    ?.org_id ?? DEFAULT_ORGANIZATION;
}

function* create(
  input: { id: string; name?: string; planId?: string | null },
  now: number,
): Op<Organization> {
  if (yield* getOrg(input.id)) throw new StoreError("alreadyExists", `Organization ${input.id} exists`);
  yield* checkPlan(input.planId);
  const org: Organization = {
    id: input.id,
    name: input.name ?? input.id,
    planId: input.planId ?? null,
    created: new Date(now),
  };
  yield* run(
    "INSERT INTO organizations (id, name, plan_id, created) VALUES (?, ?, ?, ?)",
    org.id,
    org.name,
    org.planId,
    org.created.getTime(),
  );
  yield* bumpVersion();
  return org;
}

function* update(id: string, patch: { name?: string; planId?: string | null }): Op<Organization> {
  const o = yield* mustOrg(id);
  yield* checkPlan(patch.planId);
  const next = {
    ...o,
    name: patch.name ?? o.name,
    planId: patch.planId === undefined ? o.planId : patch.planId,
  };
  yield* run("UPDATE organizations SET name = ?, plan_id = ? WHERE id = ?", next.name, next.planId, id);
  yield* bumpVersion();
  return next;
}

function* remove(id: string): Op<void> {
  if (id === DEFAULT_ORGANIZATION) throw new StoreError("forbidden", "The default organization stays");
  yield* mustOrg(id);
  if (yield* get("SELECT 1 AS x FROM org_domains WHERE org_id = ? LIMIT 1", id)) {
    throw new StoreError("hasChildren", `Organization ${id} still owns domains`);
  }
  yield* run("DELETE FROM organizations WHERE id = ?", id);
  yield* bumpVersion();
}

function* assignDomain(name: string, orgId: string): Op<void> {
  if (!(yield* get("SELECT 1 AS x FROM domains WHERE name = ?", name))) {
    throw new StoreError("notFound", `${name} is not a local domain`);
  }
  yield* mustOrg(orgId);
  if ((yield* orgOfDomain(name)) === orgId) return;
  // Roles are per organization: accounts moving with their domain start as members.
  yield* run("DELETE FROM org_roles WHERE account_id IN (SELECT id FROM accounts WHERE domain = ?)", name);
  if (orgId === DEFAULT_ORGANIZATION) yield* run("DELETE FROM org_domains WHERE domain = ?", name);
  else {
    yield* run(
      "INSERT INTO org_domains (domain, org_id) VALUES (?, ?) ON CONFLICT (domain) DO UPDATE SET org_id = excluded.org_id",
      name,
      orgId,
    );
  }
  yield* bumpVersion();
}

function* setRole(orgId: string, accountId: AccountId, role: OrgRole | null): Op<void> {
  const a = yield* accountRow(accountId);
  if (!a) throw new StoreError("notFound", `No account ${accountId}`);
  if ((yield* orgOfDomain(a.domain)) !== orgId) {
    throw new StoreError("invalid", `Account ${accountId} is not in organization ${orgId}`);
  }
  if (role === null || role === "member") {
    yield* run("DELETE FROM org_roles WHERE account_id = ?", a.id);
  } else {
    yield* run(
      "INSERT INTO org_roles (account_id, role) VALUES (?, ?) ON CONFLICT (account_id) DO UPDATE SET role = excluded.role",
      a.id,
      role,
    );
  }
  yield* bumpVersion();
}

function* roleOf(accountId: AccountId): Op<OrgRole | null> {
  const a = yield* accountRow(accountId);
  if (!a) return null;
  return (yield* get<{ role: OrgRole }>("SELECT role FROM org_roles WHERE account_id = ?", a.id))?.role ??
    "member";
}

function* setPlatformAdmin(accountId: AccountId, admin: boolean): Op<void> {
  const a = yield* accountRow(accountId);
  if (!a) throw new StoreError("notFound", `No account ${accountId}`);
  if (admin) yield* run("INSERT INTO platform_admins (account_id) VALUES (?) ON CONFLICT DO NOTHING", a.id);
  else yield* run("DELETE FROM platform_admins WHERE account_id = ?", a.id);
  yield* bumpVersion();
}

function* resources(orgId: string): Op<OrgResources> {
  const o = owned(orgId);
  const acc = (yield* get<{ n: number; bytes: number }>(
    `SELECT count(*) AS n, CAST(coalesce(sum(used_bytes), 0) AS BIGINT) AS bytes FROM accounts WHERE domain ${o.sql}`,
    ...o.params,
  ))!;
  const dom =
    (yield* get<{ n: number }>(`SELECT count(*) AS n FROM domains WHERE name ${o.sql}`, ...o.params))!;
  const ali =
    (yield* get<{ n: number }>(`SELECT count(*) AS n FROM aliases WHERE domain ${o.sql}`, ...o.params))!;
  return {
    domains: Number(dom.n),
    accounts: Number(acc.n),
    addresses: Number(ali.n),
    storageBytes: Number(acc.bytes),
  };
}

/** Organizations, domain ownership and roles over either backend. */
export class SqlOrganizationStore implements OrganizationStore {
  /**
   * @param db the backend, its "tenancy" schema applied
   * @param now the clock in ms (creation times)
   */
  constructor(protected readonly db: RecordDb, readonly now: () => number) {}

  /** Creates an organization. */
  create(input: { id: string; name?: string; planId?: string | null }): Promise<Organization> {
    return this.db.atomic(create(input, this.now()));
  }

  /** One organization, or null. */
  get(id: string): Promise<Organization | null> {
    return this.db.read(getOrg(id));
  }

  /** Every organization, by id. */
  async list(): Promise<Organization[]> {
    return (await this.db.read(
      all<OrgRow>(`SELECT * FROM organizations ORDER BY id${this.db.dialect.bytes}`),
    ))
      .map(toOrg);
  }

  /** Renames an organization or changes its plan. */
  update(id: string, patch: { name?: string; planId?: string | null }): Promise<Organization> {
    return this.db.atomic(update(id, patch));
  }

  /** Deletes an organization that owns no domain (never the default one). */
  delete(id: string): Promise<void> {
    return this.db.atomic(remove(id));
  }

  /** Moves a domain (and so its accounts) to an organization. */
  assignDomain(domain: string, orgId: string): Promise<void> {
    return this.db.atomic(assignDomain(domain.toLowerCase(), orgId));
  }

  /** The organization's domains, by name. */
  async domains(orgId: string): Promise<string[]> {
    return (await this.db.read(all<{ name: string }>(
      `SELECT name FROM domains WHERE ${orgOf("domains.name")} = ? ORDER BY name${this.db.dialect.bytes}`,
      orgId,
    ))).map((r) => r.name);
  }

  /** The organization owning a domain (the default one when none does). */
  orgOfDomain(domain: string): Promise<string> {
    return this.db.read(orgOfDomain(domain));
  }

  /** The organization of an account, or null when the account is unknown. */
  orgOfAccount(accountId: AccountId): Promise<string | null> {
    return this.db.read(function* () {
      const a = yield* accountRow(accountId);
      return a ? yield* orgOfDomain(a.domain) : null;
    }());
  }

  /** Sets (or, with null or "member", clears) an account's role in its organization. */
  setRole(orgId: string, accountId: AccountId, role: OrgRole | null): Promise<void> {
    return this.db.atomic(setRole(orgId, accountId, role));
  }

  /** Roles other than member in an organization. */
  async roles(orgId: string): Promise<{ accountId: AccountId; role: OrgRole }[]> {
    return (await this.db.read(all<{ account_id: number; role: OrgRole }>(
      `SELECT r.account_id, r.role FROM org_roles r JOIN accounts a ON a.id = r.account_id
       WHERE ${orgOf("a.domain")} = ? ORDER BY r.account_id`,
      orgId,
    ))).map((r) => ({ accountId: formatId("account", r.account_id), role: r.role }));
  }

  /** An account's role (member by default), or null when the account is unknown. */
  roleOf(accountId: AccountId): Promise<OrgRole | null> {
    return this.db.read(roleOf(accountId));
  }

  /** Grants or revokes platform administration. */
  setPlatformAdmin(accountId: AccountId, admin: boolean): Promise<void> {
    return this.db.atomic(setPlatformAdmin(accountId, admin));
  }

  /** Whether an account administers the platform. */
  async isPlatformAdmin(accountId: AccountId): Promise<boolean> {
    const row = parseId("account", accountId);
    return row !== null &&
      (await this.db.read(get("SELECT 1 AS x FROM platform_admins WHERE account_id = ?", row))) !== undefined;
  }

  /** Domains, accounts, aliases and storage of an organization. */
  resources(orgId: string): Promise<OrgResources> {
    return this.db.read(resources(orgId));
  }

  /** Sum of the organization's accounts' used bytes. */
  async storageBytes(orgId: string): Promise<number> {
    return Number((await this.db.read(storageQuery(orgId)))!.bytes);
  }

  /** The tenancy version (bumped by every change). */
  async version(): Promise<number> {
    return Number((await this.db.read(versionQuery()))!.v);
  }
}
