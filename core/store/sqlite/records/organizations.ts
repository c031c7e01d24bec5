/**
 * SQLite implementation of `OrganizationStore` (component "tenancy": `organizations`,
 * `org_domains`, `org_roles`, `platform_admins`, `tenancy_version`). A domain without an
 * `org_domains` row is the default organization's.
 *
 * @module
 */
import type { Clock } from "../../../clock.ts";
import {
  DEFAULT_ORGANIZATION,
  type Organization,
  type OrganizationStore,
  type OrgResources,
  type OrgRole,
} from "../../records/organizations.ts";
import { type AccountId, StoreError } from "../../types.ts";
import type { Database } from "../database.ts";
import { formatId, parseId } from "../ids.ts";
import { bumpTenancyVersion } from "./tenancy_schema.ts";

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

/**
 * What changed in the database: `Database.writes` (this connection's writes, counted in memory: no
 * statement) and `data_version` (moves when another connection, e.g. `tern plan set` in another
 * process, commits). Two equal stamps mean that nothing was written in between, so a value read at
 * the first still holds.
 */
const DATA_VERSION = "SELECT data_version AS d FROM pragma_data_version";
/**
 * How long a `data_version` read stands in for a fresh one in `version()` and `storageBytes()`.
 * Reading it starts a read transaction (about 10 µs, the largest part of a decision): under load
 * the decisions of all sessions share one read per millisecond instead of one each (issue 16).
 * Writes on this connection are always seen at once (`Database.writes`); another process's change
 * (`tern plan set`, an import) is seen at most this much later, inside the race any command has
 * with a concurrent change anyway.
 */
const DATA_VERSION_REUSE_MS = 1;

/** A value read at a stamp. */
interface Stamped<T> {
  t: number;
  d: number;
  value: T;
}

/** Organizations in the store database. */
export class SqliteOrganizationStore implements OrganizationStore {
  readonly #db: Database;
  readonly #clock: Clock;
  /** The version row as last read (the policy asks before every decision). */
  #version: Stamped<number> = { t: -1, d: -1, value: 0 };
  /** Organizations' storage as last summed: one sum per write, not per check. */
  readonly #storage = new Map<string, Stamped<number>>();
  /** The last `data_version` read and when (`performance.now()`). */
  #dataVersion = { d: -1, at: -Infinity };

  /**
   * @param db the store database, "tenancy" schema applied
   * @param clock for creation times
   */
  constructor(db: Database, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  #get(id: string): Organization | null {
    const row = this.#db.get<OrgRow>("SELECT * FROM organizations WHERE id = ?", id);
    return row ? toOrg(row) : null;
  }

  #must(id: string): Organization {
    const o = this.#get(id);
    if (!o) throw new StoreError("notFound", `No organization ${id}`);
    return o;
  }

  #checkPlan(planId: string | null | undefined): void {
    if (planId && !this.#db.get("SELECT 1 AS x FROM plans WHERE id = ?", planId)) {
      throw new StoreError("notFound", `No plan ${planId}`);
    }
  }

  #accountRow(accountId: AccountId): { id: number; domain: string } | null {
    const row = parseId("account", accountId);
    if (row === null) return null;
    return this.#db.get<{ id: number; domain: string }>(
      "SELECT id, domain FROM accounts WHERE id = ?",
      row,
    ) ?? null;
  }

  #orgOfDomain(domain: string): string {
    return this.#db.get<{ org_id: string }>(
      "SELECT org_id FROM org_domains WHERE domain = ?",
      domain.toLowerCase(),
    )
      ?.org_id ?? DEFAULT_ORGANIZATION;
  }

  create(input: { id: string; name?: string; planId?: string | null }): Promise<Organization> {
    return run(() =>
      this.#db.transaction(() => {
        if (this.#get(input.id)) throw new StoreError("alreadyExists", `Organization ${input.id} exists`);
        this.#checkPlan(input.planId);
        const org: Organization = {
          id: input.id,
          name: input.name ?? input.id,
          planId: input.planId ?? null,
          created: this.#clock.now(),
        };
        this.#db.run(
          "INSERT INTO organizations (id, name, plan_id, created) VALUES (?, ?, ?, ?)",
          org.id,
          org.name,
          org.planId,
          org.created.getTime(),
        );
        bumpTenancyVersion(this.#db);
        return org;
      })
    );
  }

  get(id: string): Promise<Organization | null> {
    return run(() => this.#get(id));
  }

  list(): Promise<Organization[]> {
    return run(() => this.#db.all<OrgRow>("SELECT * FROM organizations ORDER BY id").map(toOrg));
  }

  update(id: string, patch: { name?: string; planId?: string | null }): Promise<Organization> {
    return run(() =>
      this.#db.transaction(() => {
        const o = this.#must(id);
        this.#checkPlan(patch.planId);
        const next = {
          ...o,
          name: patch.name ?? o.name,
          planId: patch.planId === undefined ? o.planId : patch.planId,
        };
        this.#db.run(
          "UPDATE organizations SET name = ?, plan_id = ? WHERE id = ?",
          next.name,
          next.planId,
          id,
        );
        bumpTenancyVersion(this.#db);
        return next;
      })
    );
  }

  delete(id: string): Promise<void> {
    return run(() =>
      this.#db.transaction(() => {
        if (id === DEFAULT_ORGANIZATION) throw new StoreError("forbidden", "The default organization stays");
        this.#must(id);
        if (this.#db.get("SELECT 1 AS x FROM org_domains WHERE org_id = ? LIMIT 1", id)) {
          throw new StoreError("hasChildren", `Organization ${id} still owns domains`);
        }
        this.#db.run("DELETE FROM organizations WHERE id = ?", id);
        bumpTenancyVersion(this.#db);
      })
    );
  }

  assignDomain(domain: string, orgId: string): Promise<void> {
    const name = domain.toLowerCase();
    return run(() =>
      this.#db.transaction(() => {
        if (!this.#db.get("SELECT 1 AS x FROM domains WHERE name = ?", name)) {
          throw new StoreError("notFound", `${name} is not a local domain`);
        }
        this.#must(orgId);
        if (this.#orgOfDomain(name) === orgId) return;
        // Roles are per organization: accounts moving with their domain start as members.
        this.#db.run(
          "DELETE FROM org_roles WHERE account_id IN (SELECT id FROM accounts WHERE domain = ?)",
          name,
        );
        if (orgId === DEFAULT_ORGANIZATION) this.#db.run("DELETE FROM org_domains WHERE domain = ?", name);
        else {
          this.#db.run(
            "INSERT INTO org_domains (domain, org_id) VALUES (?, ?) ON CONFLICT(domain) DO UPDATE SET org_id = excluded.org_id",
            name,
            orgId,
          );
        }
        bumpTenancyVersion(this.#db);
      })
    );
  }

  domains(orgId: string): Promise<string[]> {
    return run(() =>
      this.#db.all<{ name: string }>(
        `SELECT name FROM domains WHERE ${orgOf("domains.name")} = ? ORDER BY name`,
        orgId,
      )
        .map((r) => r.name)
    );
  }

  orgOfDomain(domain: string): Promise<string> {
    return run(() => this.#orgOfDomain(domain));
  }

  orgOfAccount(accountId: AccountId): Promise<string | null> {
    return run(() => {
      const a = this.#accountRow(accountId);
      return a ? this.#orgOfDomain(a.domain) : null;
    });
  }

  setRole(orgId: string, accountId: AccountId, role: OrgRole | null): Promise<void> {
    return run(() =>
      this.#db.transaction(() => {
        const a = this.#accountRow(accountId);
        if (!a) throw new StoreError("notFound", `No account ${accountId}`);
        if (this.#orgOfDomain(a.domain) !== orgId) {
          throw new StoreError("invalid", `Account ${accountId} is not in organization ${orgId}`);
        }
        if (role === null || role === "member") {
          this.#db.run("DELETE FROM org_roles WHERE account_id = ?", a.id);
        } else {
          this.#db.run(
            "INSERT INTO org_roles (account_id, role) VALUES (?, ?) ON CONFLICT(account_id) DO UPDATE SET role = excluded.role",
            a.id,
            role,
          );
        }
        bumpTenancyVersion(this.#db);
      })
    );
  }

  roles(orgId: string): Promise<{ accountId: AccountId; role: OrgRole }[]> {
    return run(() =>
      this.#db.all<{ account_id: number; role: OrgRole }>(
        `SELECT r.account_id, r.role FROM org_roles r JOIN accounts a ON a.id = r.account_id
         WHERE ${orgOf("a.domain")} = ? ORDER BY r.account_id`,
        orgId,
      ).map((r) => ({ accountId: formatId("account", r.account_id), role: r.role }))
    );
  }

  roleOf(accountId: AccountId): Promise<OrgRole | null> {
    return run(() => {
      const a = this.#accountRow(accountId);
      if (!a) return null;
      return this.#db.get<{ role: OrgRole }>("SELECT role FROM org_roles WHERE account_id = ?", a.id)?.role ??
        "member";
    });
  }

  setPlatformAdmin(accountId: AccountId, admin: boolean): Promise<void> {
    return run(() =>
      this.#db.transaction(() => {
        const a = this.#accountRow(accountId);
        if (!a) throw new StoreError("notFound", `No account ${accountId}`);
        if (admin) this.#db.run("INSERT OR IGNORE INTO platform_admins (account_id) VALUES (?)", a.id);
        else this.#db.run("DELETE FROM platform_admins WHERE account_id = ?", a.id);
        bumpTenancyVersion(this.#db);
      })
    );
  }

  isPlatformAdmin(accountId: AccountId): Promise<boolean> {
    return run(() => {
      const row = parseId("account", accountId);
      return row !== null &&
        this.#db.get("SELECT 1 AS x FROM platform_admins WHERE account_id = ?", row) !== undefined;
    });
  }

  resources(orgId: string): Promise<OrgResources> {
    return run(() => {
      // An organization's own domains go through the index; the default one's are the rest.
      const owned = orgId === DEFAULT_ORGANIZATION
        ? "NOT IN (SELECT domain FROM org_domains)"
        : "IN (SELECT domain FROM org_domains WHERE org_id = ?)";
      const args = orgId === DEFAULT_ORGANIZATION ? [] : [orgId];
      const acc = this.#db.get<{ n: number; bytes: number }>(
        `SELECT count(*) AS n, coalesce(sum(used_bytes), 0) AS bytes FROM accounts WHERE domain ${owned}`,
        ...args,
      )!;
      const dom = this.#db.get<{ n: number }>(
        `SELECT count(*) AS n FROM domains WHERE name ${owned}`,
        ...args,
      )!;
      const ali = this.#db.get<{ n: number }>(
        `SELECT count(*) AS n FROM aliases WHERE domain ${owned}`,
        ...args,
      )!;
      return { domains: dom.n, accounts: acc.n, addresses: ali.n, storageBytes: acc.bytes };
    });
  }

  #stamp(): { t: number; d: number } {
    const d = this.#db.get<{ d: number }>(DATA_VERSION)!.d;
    this.#dataVersion = { d, at: performance.now() };
    return { t: this.#db.writes, d };
  }

  /** The stamp, with a `data_version` read less than `DATA_VERSION_REUSE_MS` ago reused. */
  #recentStamp(): { t: number; d: number } {
    const dv = this.#dataVersion;
    if (performance.now() - dv.at > DATA_VERSION_REUSE_MS) return this.#stamp();
    return { t: this.#db.writes, d: dv.d };
  }

  storageBytes(orgId: string): Promise<number> {
    return run(() => {
      const { t, d } = this.#recentStamp();
      const cached = this.#storage.get(orgId);
      if (cached && cached.t === t && cached.d === d) return cached.value;
      const owned = orgId === DEFAULT_ORGANIZATION
        ? "NOT IN (SELECT domain FROM org_domains)"
        : "IN (SELECT domain FROM org_domains WHERE org_id = ?)";
      const value = this.#db.get<{ bytes: number }>(
        `SELECT coalesce(sum(used_bytes), 0) AS bytes FROM accounts WHERE domain ${owned}`,
        ...(orgId === DEFAULT_ORGANIZATION ? [] : [orgId]),
      )!.bytes;
      this.#storage.set(orgId, { t, d, value });
      return value;
    });
  }

  version(): Promise<number> {
    return run(() => {
      const { t, d } = this.#recentStamp();
      const cached = this.#version;
      if (cached.t === t && cached.d === d) return cached.value;
      const value = this.#db.get<{ v: number }>("SELECT v FROM tenancy_version WHERE id = 1")!.v;
      this.#version = { t, d, value };
      return value;
    });
  }
}

/** Runs a synchronous body; its errors become rejections. */
function run<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e);
  }
}
