/**
 * Which organization an account, a domain or an address belongs to, and the account's role there.
 * Until organizations exist (core/tenancy), every account and domain is in the one organization
 * `DEFAULT_ORG_ID`, and the platform administrators are the addresses listed in
 * `api.platform_admins`.
 *
 * @module
 */
import type { Config } from "../config/types.ts";
import type { Store } from "../store/store.ts";
import type { Account, AccountId } from "../store/types.ts";
import type { Role } from "./principal.ts";

/** The organization of every account while there are no organizations. */
export const DEFAULT_ORG_ID = "default";

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

/** The resolver over the configuration and the store. */
export function createOrgResolver(deps: { config: Config; store: Store }): OrgResolver {
  const admins = () => new Set((deps.config.api?.platform_admins ?? []).map((a) => a.toLowerCase()));
  return {
    membership(account: Account): Promise<Membership> {
      const role: Role = admins().has(account.address.toLowerCase()) ? "platform-admin" : "member";
      return Promise.resolve({ orgId: DEFAULT_ORG_ID, role });
    },
    async orgOfAccount(accountId: AccountId): Promise<string | null> {
      return (await deps.store.getAccount(accountId)) ? DEFAULT_ORG_ID : null;
    },
    orgOfDomain(_domain: string): Promise<string> {
      return Promise.resolve(DEFAULT_ORG_ID);
    },
  };
}
