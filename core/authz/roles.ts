/**
 * Which organization an account or a domain belongs to, and the account's role there, from the
 * tenancy records (core/tenancy, `Store.organizations`): owners and admins of an organization are
 * its administrators; platform administrators are those the records name plus the addresses listed
 * in `api.platform_admins`.
 *
 * @module
 */
import type { Config } from "../config/types.ts";
import type { Store } from "../store/store.ts";
import type { Account, AccountId } from "../store/types.ts";
import type { Role } from "./principal.ts";
import { DEFAULT_ORGANIZATION } from "../store/records/organizations.ts";

/** The organization of every account whose domain was never assigned to one. */
export const DEFAULT_ORG_ID = DEFAULT_ORGANIZATION;

/** An account's place: its organization and role. */
export interface Membership {
  orgId: string;
  role: Role;
}

/** Resolves organizations and roles. */
export interface OrgResolver {
  /** The account's organization and role. */
  membership(account: Account): Promise<Membership>;
  /** The organization of an account by id (null when the account does not exist). */
  orgOfAccount(accountId: AccountId): Promise<string | null>;
  /** The organization a domain belongs to. */
  orgOfDomain(domain: string): Promise<string>;
}

/** The resolver over the tenancy records (`Store.organizations`) and `api.platform_admins`. */
export function createOrgResolver(deps: { config: Config; store: Store }): OrgResolver {
  const orgs = deps.store.organizations;
  const admins = () => new Set((deps.config.api?.platform_admins ?? []).map((a) => a.toLowerCase()));
  return {
    async membership(account: Account): Promise<Membership> {
      const orgId = (await orgs.orgOfAccount(account.id)) ?? DEFAULT_ORG_ID;
      if (admins().has(account.address.toLowerCase()) || await orgs.isPlatformAdmin(account.id)) {
        return { orgId, role: "platform-admin" };
      }
      const role = await orgs.roleOf(account.id);
      // An organization's owners and admins administer it.
      return { orgId, role: role === "owner" || role === "admin" ? "org-admin" : "member" };
    },
    orgOfAccount(accountId: AccountId): Promise<string | null> {
      return orgs.orgOfAccount(accountId);
    },
    orgOfDomain(domain: string): Promise<string> {
      return orgs.orgOfDomain(domain);
    },
  };
}
