/**
 * The quotas an account is under (issue 16), in the shape of JMAP Quotas (RFC 9425 §4): the
 * account's own storage quota, and its organization plan's storage, daily and monthly receive
 * limits and daily send limit. Protocols format them (JMAP Quota/get; IMAP QUOTA reports storage).
 *
 * @module
 */
import type { Account } from "../store/types.ts";
import type { TenancyPolicy } from "./policy.ts";

/** One quota (RFC 9425 §4.1 properties). */
export interface QuotaInfo {
  id: string;
  /** RFC 9425 §3.2. */
  resourceType: "count" | "octets";
  used: number;
  hardLimit: number;
  /** RFC 9425 §3.1: "account", or "domain" for the organization's (its domains together). */
  scope: "account" | "domain" | "global";
  name: string;
  /** Data types the quota applies to (RFC 9425 §4.1 `types`). */
  types: string[];
  description: string;
}

/** The quotas of an account now. */
export async function accountQuotas(policy: TenancyPolicy, account: Account): Promise<QuotaInfo[]> {
  const out: QuotaInfo[] = [];
  if (account.quotaBytes > 0) {
    out.push({
      id: "account-storage",
      resourceType: "octets",
      used: account.usedBytes,
      hardLimit: account.quotaBytes,
      scope: "account",
      name: `${account.address} storage`,
      types: ["Email"],
      description: "Storage of this account's messages.",
    });
  }
  const { orgId, plan } = await policy.planOf(account);
  if (!plan) return out;
  const l = plan.limits;
  const org = `organization ${orgId}`;
  if (l.storageBytes !== null) {
    out.push({
      id: "org-storage",
      resourceType: "octets",
      used: (await policy.store.organizations.resources(orgId)).storageBytes,
      hardLimit: l.storageBytes,
      scope: "domain",
      name: `${org} storage`,
      types: ["Email"],
      description: `Storage of every account of the ${org} (plan ${plan.id}).`,
    });
  }
  if (l.receivedPerDay !== null || l.receivedPerMonth !== null || l.sentPerDay !== null) {
    const u = await policy.usage.current(orgId);
    const count = (id: string, used: number, hardLimit: number, types: string[], what: string) =>
      out.push({
        id,
        resourceType: "count",
        used,
        hardLimit,
        scope: "domain",
        name: `${org} ${what}`,
        types,
        description: `Messages ${what} by the ${org} (plan ${plan.id}), UTC.`,
      });
    if (l.receivedPerDay !== null) {
      count("org-received-day", u.day.received, l.receivedPerDay, ["Email"], "received today");
    }
    if (l.receivedPerMonth !== null) {
      count("org-received-month", u.month.received, l.receivedPerMonth, ["Email"], "received this month");
    }
    if (l.sentPerDay !== null) {
      count("org-sent-day", u.day.sent, l.sentPerDay, ["EmailSubmission"], "sent today");
    }
  }
  return out;
}
