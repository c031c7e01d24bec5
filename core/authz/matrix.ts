/**
 * THE authorization matrix of the admin API (and of every other caller that acts for someone):
 * for each resource and action, how far the caller must reach (its own account, its organization,
 * the platform). A caller never learns that something outside its reach exists: a target in
 * another organization (or another account, for a member) is "notFound" (HTTP 404), while a
 * target it can see but not change is "forbidden" (HTTP 403).
 *
 * @module
 */
import type { AccountId } from "../store/types.ts";
import { effectiveReach, type Principal, type Reach, reachCovers } from "./principal.ts";

/** What is being read or changed. */
export type Resource =
  | "account"
  | "domain"
  | "alias"
  | "token"
  | "session"
  | "audit"
  | "organization"
  | "plan"
  | "usage"
  | "message"
  | "queue"
  | "stats"
  | "health"
  | "metrics"
  | "webhook"
  | "platform_audit"
  /** Received DMARC aggregate reports (issue 18). */
  | "dmarc"
  /** An account's own settings: vacation reply (issue 22: self-service). */
  | "settings";

/** Reading or changing. */
export type Action = "read" | "write";

/** What the request touches: its organization and, for per-account data, the account. */
export interface Target {
  /** The target's organization; absent for platform-wide resources. */
  orgId?: string;
  /** The account the target belongs to (per-account data). */
  accountId?: AccountId;
}

/** The outcome of a check. */
export type Decision = "allow" | "forbidden" | "notFound";

/** Reach needed per resource and action (null: nobody, through this API). */
export const MATRIX: Readonly<Record<Resource, Readonly<Record<Action, Reach | null>>>> = Object.freeze({
  account: { read: "self", write: "org" },
  domain: { read: "org", write: "org" },
  alias: { read: "org", write: "org" },
  token: { read: "self", write: "self" },
  session: { read: "self", write: "self" },
  audit: { read: "org", write: null },
  organization: { read: "org", write: "platform" },
  plan: { read: "org", write: "platform" },
  usage: { read: "org", write: null },
  message: { read: "self", write: "self" },
  queue: { read: "platform", write: "platform" },
  stats: { read: "platform", write: null },
  health: { read: "platform", write: null },
  metrics: { read: "platform", write: null },
  webhook: { read: "org", write: "org" },
  platform_audit: { read: "platform", write: null },
  dmarc: { read: "platform", write: null },
  settings: { read: "self", write: "self" },
});

/**
 * Decides whether `p` may do `action` on `resource` at `target`.
 *
 * Order: a target outside the caller's reach is "notFound" whatever the action (no existence leak);
 * then a read-only credential may not write; then the resource's required reach.
 */
export function decide(p: Principal, resource: Resource, action: Action, target: Target = {}): Decision {
  const reach = effectiveReach(p);
  if (reach !== "platform") {
    if (target.orgId !== undefined && target.orgId !== p.orgId) return "notFound";
    if (reach === "self" && target.accountId !== undefined && target.accountId !== p.accountId) {
      return "notFound";
    }
  }
  const need = MATRIX[resource][action];
  if (need === null) return "forbidden";
  if (action === "write" && p.scope === "read-only") return "forbidden";
  // A platform-wide resource (no organization) needs platform reach to be seen at all.
  if (need === "platform" && reach !== "platform") return "forbidden";
  return reachCovers(reach, need) ? "allow" : "forbidden";
}

/** What a listing may show: everything, one organization, or one account. */
export type ListScope = { all: true } | { orgId: string } | { accountId: AccountId };

/** The part of a collection `p` may list (what `decide` would allow item by item). */
export function listScope(p: Principal): ListScope {
  const reach = effectiveReach(p);
  if (reach === "platform") return { all: true };
  if (reach === "org") return { orgId: p.orgId };
  return { accountId: p.accountId };
}
