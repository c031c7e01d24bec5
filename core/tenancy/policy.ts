/**
 * The tenancy policy (issue 16): which organization an account is in, its plan, and the decisions
 * the protocols enforce in real time: receive limits and storage at RCPT, the plan's message size
 * at MAIL and after DATA, the submission send limit and the outbound flag, storage for IMAP
 * APPEND/COPY and JMAP writes.
 *
 * Organizations, plans and domain ownership are cached in memory and reloaded when
 * `Store.organizations.version()` changes (asked once per decision: at RCPT, at MAIL, after the
 * data; the SQLite store answers from memory unless its connection wrote since or, read at most once
 * per millisecond, another connection committed), so a plan changed by `tern plan set` in another
 * process applies to the next command without a restart. Counting a
 * delivery uses the organizations the decision after its data saw (no second ask). Usage comes from
 * the in-memory `UsageCounter`; storage from `Store.organizations.storageBytes()`, read only when
 * the plan limits it.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import { DEFAULT_ORGANIZATION, type Organization } from "../store/records/organizations.ts";
import type { Plan, PlanFeatures } from "../store/records/plans.ts";
import type { Store } from "../store/store.ts";
import type { Account, AccountId } from "../store/types.ts";
import type { UsageCounts } from "../store/records/usage.ts";
import { UsageCounter } from "./usage.ts";

/** A refusal with its SMTP reply code and RFC 3463 enhanced code (the pipeline turns it into its own). */
export interface LimitRefusal {
  code: number;
  enhanced: string;
  text: string;
}

/** The refusals the plan limits give. */
export const LIMIT_REFUSALS = {
  // RFC 3463 §3.3 X.2.2 (mailbox full) as a temporary failure: the counter resets at the next UTC day.
  receivedPerDay: { code: 452, enhanced: "4.2.2", text: "Organization has reached its daily receive limit" },
  // The same for the calendar month.
  receivedPerMonth: {
    code: 452,
    enhanced: "4.2.2",
    text: "Organization has reached its monthly receive limit",
  },
  // RFC 3463 X.2.2 permanent: the organization must free space or change plan (RFC 5321 §4.2.2: 552).
  storage: { code: 552, enhanced: "5.2.2", text: "Organization storage limit reached" },
  // RFC 1870 §6 and RFC 3463 X.3.4: too big for the plan.
  messageSize: { code: 552, enhanced: "5.3.4", text: "Message size exceeds the plan's maximum" },
  // RFC 3463 X.7.0, temporary: the daily send limit resets at the next UTC day.
  sentPerDay: {
    code: 450,
    enhanced: "4.7.0",
    text: "Daily sending limit of your plan reached, try again tomorrow",
  },
  // RFC 3463 X.7.0, permanent: the plan does not send outside.
  outbound: { code: 550, enhanced: "5.7.0", text: "Your plan does not allow sending to other domains" },
} as const satisfies Record<string, LimitRefusal>;

/** An account by id, or anything with its address (an `Account`; the organization is its domain's). */
export type AccountRef = AccountId | { readonly address: string };

/** What an account's organization and plan are. */
export interface AccountPlan {
  orgId: string;
  plan: Plan | null;
}

/** Options of `TenancyPolicy`. */
export interface TenancyPolicyOptions {
  /** Longest delay before counted usage is written (default 50 ms). */
  usageFlushMs?: number;
}

/** One counted event (shared, never mutated: counting allocates nothing per delivery). */
const RECEIVED_ONE: Partial<UsageCounts> = Object.freeze({ received: 1 });
const SENT_ONE: Partial<UsageCounts> = Object.freeze({ sent: 1 });

/** Cached organizations and plans, and the decisions over them. */
export class TenancyPolicy {
  readonly store: Store;
  /** Usage counting (received, sent, API calls). */
  readonly usage: UsageCounter;
  #version = -1;
  #loading: Promise<void> | null = null;
  #orgs = new Map<string, Organization>();
  #plans = new Map<string, Plan>();
  #domainOrg = new Map<string, string>();
  /** Whether any organization has a plan (none: no decision has anything to check). */
  #anyPlan = false;
  /** Account id → domain (an account never changes domain). */
  readonly #accountDomain = new Map<AccountId, string>();

  /**
   * @param store the store
   * @param clock the clock of record
   * @param log for usage write failures
   * @param opts tuning
   */
  constructor(store: Store, clock: Clock, log: Logger, opts: TenancyPolicyOptions = {}) {
    this.store = store;
    this.usage = new UsageCounter(store, clock, log, opts.usageFlushMs);
  }

  /** Reloads organizations, plans and domain ownership when they changed. */
  async #sync(): Promise<void> {
    const v = await this.store.organizations.version();
    if (v === this.#version) return;
    this.#loading ??= (async () => {
      try {
        const [orgs, plans] = await Promise.all([this.store.organizations.list(), this.store.plans.list()]);
        const domainOrg = new Map<string, string>();
        for (const o of orgs) {
          if (o.id === DEFAULT_ORGANIZATION) continue;
          for (const d of await this.store.organizations.domains(o.id)) domainOrg.set(d, o.id);
        }
        this.#orgs = new Map(orgs.map((o) => [o.id, o]));
        this.#plans = new Map(plans.map((p) => [p.id, p]));
        this.#domainOrg = domainOrg;
        this.#anyPlan = orgs.some((o) => o.planId !== null && this.#plans.has(o.planId));
        this.#version = v;
      } finally {
        this.#loading = null;
      }
    })();
    await this.#loading;
    // A load that began at an older version than this caller saw (a change in between): load again.
    if (this.#version < v) await this.#sync();
  }

  /** Forgets the cache (the next decision reloads). */
  invalidate(): void {
    this.#version = -1;
  }

  async #domainOf(account: AccountRef): Promise<string | null> {
    if (typeof account !== "string") {
      return account.address.slice(account.address.lastIndexOf("@") + 1).toLowerCase();
    }
    let d = this.#accountDomain.get(account);
    if (d === undefined) {
      const a = await this.store.getAccount(account);
      if (!a) return null;
      d = a.address.slice(a.address.lastIndexOf("@") + 1).toLowerCase();
      this.#accountDomain.set(account, d);
    }
    return d;
  }

  /** The organization and plan of an account (the default organization for an unknown one). */
  async planOf(account: AccountRef): Promise<AccountPlan> {
    await this.#sync();
    return this.#lookup(account);
  }

  /** `planOf` over the cache as it is (the caller synced it). */
  async #lookup(account: AccountRef): Promise<AccountPlan> {
    return this.#accountPlan(await this.#orgOf(account));
  }

  /** The organization of an account over the cache as it is. */
  async #orgOf(account: AccountRef): Promise<string> {
    const domain = typeof account === "string"
      ? this.#accountDomain.get(account) ?? await this.#domainOf(account)
      : await this.#domainOf(account);
    return (domain && this.#domainOrg.get(domain)) || DEFAULT_ORGANIZATION;
  }

  #accountPlan(orgId: string): AccountPlan {
    return { orgId, plan: this.#planOfOrg(orgId) };
  }

  /** The plan of an organization (null: none, no limits). */
  async planOfOrg(orgId: string): Promise<Plan | null> {
    await this.#sync();
    return this.#planOfOrg(orgId);
  }

  #planOfOrg(orgId: string): Plan | null {
    const planId = this.#orgs.get(orgId)?.planId;
    return planId ? this.#plans.get(planId) ?? null : null;
  }

  /** Whether a feature is on for an organization (on without a plan). */
  async featureOfOrg(orgId: string, feature: keyof PlanFeatures): Promise<boolean> {
    return (await this.planOfOrg(orgId))?.features[feature] ?? true;
  }

  /**
   * RCPT of local accounts (RFC 5321 §4.1.1.3): each account's organization must be under its
   * receive limits and, with the announced size, its storage and message size.
   */
  async checkRecipient(accounts: readonly Account[], size: number): Promise<LimitRefusal | null> {
    await this.#sync();
    if (!this.#anyPlan) return null;
    // Usually one account (an alias may expand to several): no set for it.
    const seen = accounts.length > 1 ? new Set<string>() : null;
    for (const a of accounts) {
      const { orgId, plan } = await this.#lookup(a);
      if (!plan || seen?.has(orgId)) continue;
      seen?.add(orgId);
      const l = plan.limits;
      if (l.maxMessageSize !== null && size > l.maxMessageSize) return LIMIT_REFUSALS.messageSize;
      if (l.receivedPerDay !== null || l.receivedPerMonth !== null) {
        const u = await this.usage.current(orgId);
        if (l.receivedPerDay !== null && u.day.received >= l.receivedPerDay) {
          return LIMIT_REFUSALS.receivedPerDay;
        }
        if (l.receivedPerMonth !== null && u.month.received >= l.receivedPerMonth) {
          return LIMIT_REFUSALS.receivedPerMonth;
        }
      }
      if (!(await this.#storageAllows(orgId, plan, size))) return LIMIT_REFUSALS.storage;
    }
    return null;
  }

  /** MAIL of a submission (RFC 6409): the sender's plan size and daily send limit. */
  async checkSender(account: AccountRef, size: number | undefined): Promise<LimitRefusal | null> {
    const { orgId, plan } = await this.planOf(account);
    if (!plan) return null;
    const l = plan.limits;
    if (size !== undefined && l.maxMessageSize !== null && size > l.maxMessageSize) {
      return LIMIT_REFUSALS.messageSize;
    }
    if (l.sentPerDay !== null && (await this.usage.current(orgId)).day.sent >= l.sentPerDay) {
      return LIMIT_REFUSALS.sentPerDay;
    }
    return null;
  }

  /** A remote recipient of an authenticated sender: the plan's outbound flag. */
  async checkRemote(account: AccountRef): Promise<LimitRefusal | null> {
    const { plan } = await this.planOf(account);
    return plan && !plan.features.outbound ? LIMIT_REFUSALS.outbound : null;
  }

  /** The finished message's size against the plans of its sender and local recipients. */
  async checkMessageSize(
    sender: AccountRef | null,
    accountIds: readonly AccountRef[],
    size: number,
  ): Promise<LimitRefusal | null> {
    for (const id of sender ? [sender, ...accountIds] : accountIds) {
      const max = (await this.planOf(id)).plan?.limits.maxMessageSize ?? null;
      if (max !== null && size > max) return LIMIT_REFUSALS.messageSize;
    }
    return null;
  }

  /**
   * The finished message (the pipeline's plan-size stage, issue 16): `checkMessageSize`, then
   * `checkStorage`, over one look at the organizations.
   */
  async checkDelivery(
    sender: AccountRef | null,
    accountIds: readonly AccountRef[],
    size: number,
  ): Promise<LimitRefusal | null> {
    await this.#sync();
    if (!this.#anyPlan) return null;
    if (sender) {
      const max = (await this.#lookup(sender)).plan?.limits.maxMessageSize ?? null;
      if (max !== null && size > max) return LIMIT_REFUSALS.messageSize;
    }
    let copies: Map<string, { plan: Plan; n: number }> | null = null;
    for (const id of accountIds) {
      const { orgId, plan } = await this.#lookup(id);
      if (!plan) continue;
      const max = plan.limits.maxMessageSize;
      if (max !== null && size > max) return LIMIT_REFUSALS.messageSize;
      if (plan.limits.storageBytes === null) continue;
      copies ??= new Map();
      const c = copies.get(orgId);
      if (c) c.n++;
      else copies.set(orgId, { plan, n: 1 });
    }
    if (copies === null) return null;
    for (const [orgId, { plan, n }] of copies) {
      if (!(await this.#storageAllows(orgId, plan, size * n))) return LIMIT_REFUSALS.storage;
    }
    return null;
  }

  /**
   * A message of `size` octets placed for each of `accountIds`: null when every organization's
   * storage takes its copies, else the storage refusal (552 5.2.2).
   */
  async checkStorage(accountIds: readonly AccountRef[], size: number): Promise<LimitRefusal | null> {
    const copies = new Map<string, { plan: Plan; n: number }>();
    for (const id of accountIds) {
      const { orgId, plan } = await this.planOf(id);
      if (!plan || plan.limits.storageBytes === null) continue;
      const c = copies.get(orgId);
      if (c) c.n++;
      else copies.set(orgId, { plan, n: 1 });
    }
    for (const [orgId, { plan, n }] of copies) {
      if (!(await this.#storageAllows(orgId, plan, size * n))) return LIMIT_REFUSALS.storage;
    }
    return null;
  }

  /** Whether `addBytes` more fit in the storage of the account's organization (IMAP APPEND/COPY, JMAP). */
  async storageAllows(account: AccountRef, addBytes: number): Promise<boolean> {
    const { orgId, plan } = await this.planOf(account);
    return !plan || await this.#storageAllows(orgId, plan, addBytes);
  }

  async #storageAllows(orgId: string, plan: Plan, addBytes: number): Promise<boolean> {
    const max = plan.limits.storageBytes;
    if (max === null) return true;
    return (await this.store.organizations.storageBytes(orgId)) + addBytes <= max;
  }

  /**
   * Counts a committed delivery: one received message per account it was placed for (by each
   * account's organization), one sent message for an authenticated sender's organization. The
   * organizations are those the delivery's own decisions (RCPT, after the data) synced: no second
   * version read.
   */
  async recordDelivery(sender: AccountRef | null, placedFor: readonly AccountId[]): Promise<void> {
    if (this.#version === -1) await this.#sync();
    for (const id of placedFor) {
      // An account seen before: its organization without a promise (the usual case).
      const domain = this.#accountDomain.get(id);
      const orgId = domain === undefined
        ? await this.#orgOf(id)
        : this.#domainOrg.get(domain) ?? DEFAULT_ORGANIZATION;
      this.usage.add(orgId, RECEIVED_ONE);
    }
    if (sender) this.usage.add(await this.#orgOf(sender), SENT_ONE);
  }

  /**
   * An admin API call by an account (or for an organization): allowed when the plan has API access
   * and the month's calls are under `apiCallsPerMonth`; an allowed call is counted. The admin API
   * answers a refusal with 403 (no API access) or 429 (monthly limit).
   */
  async apiCall(subject: AccountRef | { orgId: string }): Promise<"ok" | "noApiAccess" | "overLimit"> {
    const orgId = typeof subject === "object" && "orgId" in subject
      ? subject.orgId
      : (await this.planOf(subject)).orgId;
    const plan = await this.planOfOrg(orgId);
    if (plan && !plan.features.api_access) return "noApiAccess";
    const max = plan?.limits.apiCallsPerMonth ?? null;
    if (max !== null && (await this.usage.current(orgId)).month.apiCalls >= max) return "overLimit";
    this.usage.add(orgId, { apiCalls: 1 });
    return "ok";
  }

  /** Writes pending usage (server stop). */
  close(): Promise<void> {
    return this.usage.flush();
  }
}

const policies = new WeakMap<Store, TenancyPolicy>();

/**
 * The one policy of a store (created on first use): SMTP, IMAP, JMAP and the CLI share its cache
 * and its usage counter.
 */
export function tenancyOf(server: { store: Store; clock: Clock; log: Logger }): TenancyPolicy {
  let p = policies.get(server.store);
  if (!p) {
    p = new TenancyPolicy(server.store, server.clock, server.log);
    policies.set(server.store, p);
  }
  return p;
}
