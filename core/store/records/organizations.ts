/**
 * Organizations (tenants, issue 16) behind `Store.organizations`: who owns which domains (and so
 * the accounts and addresses in them), each member's role, the platform administrators, and what
 * an organization holds right now (accounts, domains, addresses, storage). A domain not assigned to
 * any organization belongs to the default organization, so every account belongs to exactly one.
 *
 * @module
 */
import type { AccountId } from "../types.ts";

/** The organization every unassigned domain (and so every account created before issue 16) is in. */
export const DEFAULT_ORGANIZATION = "default";

/** Roles inside one organization (the platform administrator role spans them all). */
export type OrgRole = "owner" | "admin" | "member";

/** An organization. */
export interface Organization {
  /** Short name used by the CLI and the admin API: `[a-z0-9][a-z0-9-]{0,62}`. */
  id: string;
  /** Free-form display name. */
  name: string;
  /** The plan it is on, or null for no limits. */
  planId: string | null;
  created: Date;
}

/** What an organization holds now (counted from the directory, never stored twice). */
export interface OrgResources {
  domains: number;
  accounts: number;
  /** Aliases (catch-alls included) in its domains. */
  addresses: number;
  /** Sum of its accounts' used bytes. */
  storageBytes: number;
}

/** Organizations of the store. */
export interface OrganizationStore {
  /** Fails with StoreError("alreadyExists") on a taken id. */
  create(input: { id: string; name?: string; planId?: string | null }): Promise<Organization>;
  get(id: string): Promise<Organization | null>;
  /** Ordered by id. */
  list(): Promise<Organization[]>;
  /** Fails with StoreError("notFound"). */
  update(id: string, patch: { name?: string; planId?: string | null }): Promise<Organization>;
  /**
   * Deletes an organization: StoreError("forbidden") for the default one, "hasChildren" while it
   * still owns domains.
   */
  delete(id: string): Promise<void>;
  /** Moves a local domain (StoreError "notFound" if it is not one) to an organization. */
  assignDomain(domain: string, orgId: string): Promise<void>;
  /** Lowercase domain names the organization owns, sorted. */
  domains(orgId: string): Promise<string[]>;
  /** The organization owning a domain (the default one when unassigned). */
  orgOfDomain(domain: string): Promise<string>;
  /** The organization of an account (through its domain); null for an unknown account. */
  orgOfAccount(accountId: AccountId): Promise<string | null>;
  /** Gives an account of the organization a role (member is the default, null removes the role). */
  setRole(orgId: string, accountId: AccountId, role: OrgRole | null): Promise<void>;
  /** Roles given in an organization (accounts without a row are members). */
  roles(orgId: string): Promise<{ accountId: AccountId; role: OrgRole }[]>;
  /** An account's role in its organization (member when none was given; null for an unknown account). */
  roleOf(accountId: AccountId): Promise<OrgRole | null>;
  /** Grants or revokes the platform administrator role. */
  setPlatformAdmin(accountId: AccountId, admin: boolean): Promise<void>;
  isPlatformAdmin(accountId: AccountId): Promise<boolean>;
  /** What the organization holds now. */
  resources(orgId: string): Promise<OrgResources>;
  /**
   * The organization's storage in use now (`resources(orgId).storageBytes` alone): what the plan's
   * storage limit is checked against on every delivery, so a backend may keep it cached as long as
   * nothing was written since.
   */
  storageBytes(orgId: string): Promise<number>;
  /**
   * A number that changes whenever an organization, a plan or a domain assignment changes (in this
   * process or another): policy caches compare it to know when to reload. A change made through
   * this store is seen at once; one made in another process may be seen up to a millisecond later
   * (the SQLite store reads the cross-process change counter at most once per millisecond).
   */
  version(): Promise<number>;
}
