/**
 * Who an admin-API request acts as: an account, its role (from the tenancy records or the
 * configuration) and the scope of the credential it presented. The authorization matrix
 * (matrix.ts) decides from these alone.
 *
 * @module
 */
import type { AccountId } from "../store/types.ts";
import type { TokenScope } from "../store/records/tokens.ts";

export type { TokenScope };

/** An account's standing: member of its organization, its administrator, or platform administrator. */
export type Role = "member" | "org-admin" | "platform-admin";

/** How the principal authenticated. */
export type PrincipalVia = "session" | "token" | "trusted";

/** The authenticated caller of an admin-API request. */
export interface Principal {
  accountId: AccountId;
  address: string;
  /** The account's organization. */
  orgId: string;
  role: Role;
  /** What the credential allows (a login session carries its role's scope). */
  scope: TokenScope;
  via: PrincipalVia;
  /** The login session (via "session"). */
  sessionId?: string;
  /** The API token (via "token"). */
  tokenId?: string;
  /** The trusted front end's name (via "trusted"). */
  service?: string;
}

/** How far a principal reaches: its own account, its organization, or everything. */
export type Reach = "self" | "org" | "platform";

const REACH_RANK: Record<Reach, number> = { self: 0, org: 1, platform: 2 };

/** True when `a` reaches at least as far as `b`. */
export function reachCovers(a: Reach, b: Reach): boolean {
  return REACH_RANK[a] >= REACH_RANK[b];
}

function roleReach(role: Role): Reach {
  return role === "platform-admin" ? "platform" : role === "org-admin" ? "org" : "self";
}

function scopeReach(scope: TokenScope): Reach | null {
  switch (scope) {
    case "platform-admin":
      return "platform";
    case "org-admin":
      return "org";
    case "account":
      return "self";
    case "read-only":
      return null;
  }
}

/**
 * The principal's effective reach: its role's, narrowed by its credential's scope (a read-only
 * credential keeps the role's reach but may not write).
 */
export function effectiveReach(p: Principal): Reach {
  const role = roleReach(p.role);
  const scope = scopeReach(p.scope);
  if (scope === null) return role;
  return REACH_RANK[scope] < REACH_RANK[role] ? scope : role;
}

/** The scope a login session of an account with this role carries. */
export function scopeOfRole(role: Role): TokenScope {
  return role === "platform-admin" ? "platform-admin" : role === "org-admin" ? "org-admin" : "account";
}
