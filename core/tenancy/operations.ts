/**
 * Organization, plan and usage operations (issue 16), shared by the CLI (`tern org|plan|usage`),
 * the admin API and embedding programs (exported from mod.ts): validation, lookups and errors in the
 * user's terms. Each takes the store and never prints. Changes made here reach a running server
 * at its next decision (the tenancy version, core/tenancy/policy.ts).
 *
 * @module
 */
import type { Store } from "../store/store.ts";
import {
  DEFAULT_ORGANIZATION,
  type Organization,
  type OrgResources,
} from "../store/records/organizations.ts";
import type { Plan, PlanFeatures, PlanLimits, PlanPatch } from "../store/records/plans.ts";
import type { UsageCounts } from "../store/records/usage.ts";
import { type AccountId, StoreError } from "../store/types.ts";
import { parseDomain } from "../store/addresses.ts";
import { TenancyError } from "./errors.ts";
import { monthDays, utcDay, utcMonth } from "./periods.ts";

/** Organization and plan ids: lowercase letters, digits and hyphens, up to 63. */
const ID_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** The names of the plan limits, in display order. */
export const LIMIT_NAMES: readonly (keyof PlanLimits)[] = [
  "accounts",
  "addresses",
  "domains",
  "receivedPerDay",
  "receivedPerMonth",
  "sentPerDay",
  "storageBytes",
  "apiCallsPerMonth",
  "maxMessageSize",
  "retentionDays",
];

/** The names of the plan features. */
export const FEATURE_NAMES: readonly (keyof PlanFeatures)[] = ["webhooks", "api_access", "outbound"];

function checkId(kind: string, id: string): string {
  const v = id.trim().toLowerCase();
  if (!ID_RE.test(v)) {
    throw new TenancyError(`Invalid ${kind} name "${id}": letters, digits and hyphens, up to 63`, "invalid");
  }
  return v;
}

/** Store errors in the user's terms. */
async function user<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof StoreError) {
      const kind = e.code === "invalid" ? "invalid" : e.code === "notFound" ? "notFound" : "conflict";
      throw new TenancyError(e.message, kind);
    }
    throw e;
  }
}

async function requireOrg(store: Store, id: string): Promise<Organization> {
  const org = await store.organizations.get(checkId("organization", id));
  if (!org) throw new TenancyError(`No organization "${id}"`, "notFound");
  return org;
}

async function requirePlan(store: Store, id: string): Promise<Plan> {
  const plan = await store.plans.get(checkId("plan", id));
  if (!plan) throw new TenancyError(`No plan "${id}"`, "notFound");
  return plan;
}

/** Creates an organization, optionally on a plan and owning local domains. */
export async function addOrganization(
  store: Store,
  input: { id: string; name?: string; plan?: string | null; domains?: string[] },
): Promise<Organization> {
  const id = checkId("organization", input.id);
  if (input.plan) await requirePlan(store, input.plan);
  const domains = (input.domains ?? []).map(normalizeDomain);
  for (const d of domains) {
    if (!(await store.isLocalDomain(d))) throw new TenancyError(`"${d}" is not a local domain`, "notFound");
  }
  if (await store.organizations.get(id)) throw new TenancyError(`Organization "${id}" already exists`);
  const org = await user(store.organizations.create({ id, name: input.name, planId: input.plan ?? null }));
  for (const d of domains) await assignDomain(store, d, id);
  return org;
}

/** A domain name normalised by the store's rule; TenancyError otherwise. */
function normalizeDomain(name: string): string {
  const d = parseDomain(name);
  if (d === null) {
    throw new TenancyError(`Invalid domain "${name}": expected a domain name like example.com`, "invalid");
  }
  return d;
}

/** Moves a local domain (with its accounts and aliases) to an organization. */
export async function assignDomain(store: Store, domain: string, orgId: string): Promise<void> {
  const d = normalizeDomain(domain);
  const org = await requireOrg(store, orgId);
  if ((await store.organizations.orgOfDomain(d)) === org.id) return;
  await checkDirectoryLimit(store, org.id, "domains");
  await user(store.organizations.assignDomain(d, org.id));
}

/** An organization with its plan, domains and holdings. */
export interface OrganizationSummary extends Organization {
  domains: string[];
  resources: OrgResources;
}

/** Every organization with its domains and holdings. */
export async function listOrganizations(store: Store): Promise<OrganizationSummary[]> {
  const out: OrganizationSummary[] = [];
  for (const o of await store.organizations.list()) {
    out.push({
      ...o,
      domains: await store.organizations.domains(o.id),
      resources: await store.organizations.resources(o.id),
    });
  }
  return out;
}

/** An organization in detail: plan, holdings, usage today and this month, roles. */
export interface OrganizationDetails extends OrganizationSummary {
  plan: Plan | null;
  usage: { day: string; month: string; today: UsageCounts; thisMonth: UsageCounts };
  roles: { accountId: AccountId; address: string; role: string }[];
}

/** Shows an organization. */
export async function showOrganization(store: Store, id: string, now: Date): Promise<OrganizationDetails> {
  const org = await requireOrg(store, id);
  const day = utcDay(now);
  const month = utcMonth(now);
  const range = monthDays(month)!;
  const roles = [];
  for (const r of await store.organizations.roles(org.id)) {
    roles.push({ ...r, address: (await store.getAccount(r.accountId))?.address ?? r.accountId });
  }
  return {
    ...org,
    domains: await store.organizations.domains(org.id),
    resources: await store.organizations.resources(org.id),
    plan: org.planId ? await store.plans.get(org.planId) : null,
    usage: {
      day,
      month,
      today: await store.usage.sum(org.id, day, day),
      thisMonth: await store.usage.sum(org.id, range.from, range.to),
    },
    roles,
  };
}

/** Deletes an organization that owns no domain (move them first with `assignDomain`). */
export async function deleteOrganization(store: Store, id: string): Promise<void> {
  const org = await requireOrg(store, id);
  if (org.id === DEFAULT_ORGANIZATION) {
    throw new TenancyError("The default organization cannot be deleted", "forbidden");
  }
  const domains = await store.organizations.domains(org.id);
  if (domains.length > 0) {
    throw new TenancyError(
      `Organization "${org.id}" still owns ${domains.join(", ")}: move them first (tern org add-domain)`,
    );
  }
  await user(store.organizations.delete(org.id));
}

/** Puts an organization on a plan (null: none, no limits). Takes effect at once. */
export async function setOrganizationPlan(
  store: Store,
  id: string,
  plan: string | null,
): Promise<Organization> {
  const org = await requireOrg(store, id);
  if (plan !== null) await requirePlan(store, plan);
  return await user(
    store.organizations.update(org.id, { planId: plan === null ? null : plan.toLowerCase() }),
  );
}

/** Gives an account its role in its organization, or the platform administrator role. */
export async function setRole(
  store: Store,
  address: string,
  role: "owner" | "admin" | "member" | "platform-admin" | "no-platform-admin",
): Promise<void> {
  const account = await store.getAccountByAddress(address);
  if (!account) throw new TenancyError(`No account "${address}"`, "notFound");
  if (role === "platform-admin" || role === "no-platform-admin") {
    return await user(store.organizations.setPlatformAdmin(account.id, role === "platform-admin"));
  }
  const orgId = (await store.organizations.orgOfAccount(account.id))!;
  await user(store.organizations.setRole(orgId, account.id, role));
}

/** Checks a plan patch: limits non-negative integers (or null), retention overrides positive days. */
function checkPatch(patch: PlanPatch): PlanPatch {
  for (const [k, v] of Object.entries(patch.limits ?? {})) {
    if (!LIMIT_NAMES.includes(k as keyof PlanLimits)) {
      throw new TenancyError(`Unknown limit "${k}"`, "invalid");
    }
    if (v !== null && (!Number.isSafeInteger(v) || v < 0)) {
      throw new TenancyError(`Invalid ${k}: expected a whole number or "unlimited"`, "invalid");
    }
  }
  for (const k of Object.keys(patch.features ?? {})) {
    if (!FEATURE_NAMES.includes(k as keyof PlanFeatures)) {
      throw new TenancyError(`Unknown feature "${k}"`, "invalid");
    }
  }
  for (const [k, v] of Object.entries(patch.mailboxRetention ?? {})) {
    if (k === "" || (v !== null && (!Number.isSafeInteger(v) || v <= 0))) {
      throw new TenancyError(`Invalid mailbox retention "${k}=${v}": expected MAILBOX=DAYS`, "invalid");
    }
  }
  return patch;
}

/** Creates a plan. */
export async function addPlan(store: Store, input: { id: string } & PlanPatch): Promise<Plan> {
  const id = checkId("plan", input.id);
  if (await store.plans.get(id)) throw new TenancyError(`Plan "${id}" already exists`);
  return await user(store.plans.create({ ...checkPatch(input), id }));
}

/** Every plan. */
export function listPlans(store: Store): Promise<Plan[]> {
  return store.plans.list();
}

/** A plan and the organizations on it. */
export async function showPlan(store: Store, id: string): Promise<Plan & { organizations: string[] }> {
  const plan = await requirePlan(store, id);
  const organizations = (await store.organizations.list()).filter((o) => o.planId === plan.id).map((o) =>
    o.id
  );
  return { ...plan, organizations };
}

/** Changes a plan's limits, features or retention overrides; takes effect at once for every organization on it. */
export async function setPlan(store: Store, id: string, patch: PlanPatch): Promise<Plan> {
  const plan = await requirePlan(store, id);
  return await user(store.plans.update(plan.id, checkPatch(patch)));
}

/** Deletes a plan no organization is on. */
export async function deletePlan(store: Store, id: string): Promise<void> {
  const plan = await requirePlan(store, id);
  await user(store.plans.delete(plan.id));
}

/** One organization's usage over a month. */
export interface UsageRow {
  orgId: string;
  month: string;
  counts: UsageCounts;
  /** Storage in use now. */
  storageBytes: number;
  /** The plan's limits (null: no plan). */
  limits: PlanLimits | null;
}

/** Usage of one organization (or every one) over a month `YYYY-MM` (default: the current one). */
export async function usageReport(
  store: Store,
  opts: { org?: string; month?: string },
  now: Date,
): Promise<UsageRow[]> {
  const month = opts.month ?? utcMonth(now);
  const range = monthDays(month);
  if (!range) throw new TenancyError(`Invalid month "${month}": expected YYYY-MM`, "invalid");
  const orgs = opts.org ? [await requireOrg(store, opts.org)] : await store.organizations.list();
  const rows: UsageRow[] = [];
  for (const o of orgs) {
    const plan = o.planId ? await store.plans.get(o.planId) : null;
    rows.push({
      orgId: o.id,
      month,
      counts: await store.usage.sum(o.id, range.from, range.to),
      storageBytes: (await store.organizations.resources(o.id)).storageBytes,
      limits: plan?.limits ?? null,
    });
  }
  return rows;
}

/**
 * Whether an organization may hold one more account, alias or domain under its plan: throws
 * TenancyError when the plan's limit is reached (directory operations call it before adding).
 */
export async function checkDirectoryLimit(
  store: Store,
  orgId: string,
  kind: "accounts" | "addresses" | "domains",
): Promise<void> {
  const org = await store.organizations.get(orgId);
  const plan = org?.planId ? await store.plans.get(org.planId) : null;
  const max = plan?.limits[kind] ?? null;
  if (max === null) return;
  const held = (await store.organizations.resources(orgId))[kind];
  if (held >= max) {
    throw new TenancyError(
      `Organization "${orgId}" has reached its plan's limit of ${max} ${kind}`,
      "forbidden",
    );
  }
}
