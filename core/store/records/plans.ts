/**
 * Plans (tiers, issue 16) behind `Store.plans`: limits and feature flags as data, created and
 * edited at run time; an organization points at one.
 *
 * @module
 */

/** A plan's limits; null means unlimited. */
export interface PlanLimits {
  accounts: number | null;
  /** Aliases (addresses that are not accounts). */
  addresses: number | null;
  domains: number | null;
  receivedPerDay: number | null;
  receivedPerMonth: number | null;
  sentPerDay: number | null;
  storageBytes: number | null;
  apiCallsPerMonth: number | null;
  /** Largest message in octets, in or out. */
  maxMessageSize: number | null;
  /** Messages older than this many days are expunged by the retention job. */
  retentionDays: number | null;
}

/** Feature flags a plan turns on or off. */
export interface PlanFeatures {
  webhooks: boolean;
  api_access: boolean;
  /** Sending to remote recipients (submission, JMAP EmailSubmission). */
  outbound: boolean;
}

/** A plan. */
export interface Plan {
  /** Short name: `[a-z0-9][a-z0-9-]{0,62}`. */
  id: string;
  name: string;
  limits: PlanLimits;
  features: PlanFeatures;
  /**
   * Retention per mailbox, overriding `limits.retentionDays`: keys are a mailbox role
   * (`trash`, `junk`…) or a top-level mailbox name; value in days.
   */
  mailboxRetention: Record<string, number>;
  created: Date;
}

/** What may change on a plan. */
export interface PlanPatch {
  name?: string;
  limits?: Partial<PlanLimits>;
  features?: Partial<PlanFeatures>;
  mailboxRetention?: Record<string, number | null>;
}

/** Every limit unset. */
export const UNLIMITED: Readonly<PlanLimits> = Object.freeze({
  accounts: null,
  addresses: null,
  domains: null,
  receivedPerDay: null,
  receivedPerMonth: null,
  sentPerDay: null,
  storageBytes: null,
  apiCallsPerMonth: null,
  maxMessageSize: null,
  retentionDays: null,
});

/** Every feature on. */
export const ALL_FEATURES: Readonly<PlanFeatures> = Object.freeze({
  webhooks: true,
  api_access: true,
  outbound: true,
});

/** Plans of the store. */
export interface PlanStore {
  /** Fails with StoreError("alreadyExists"). Unset limits are unlimited, unset features on. */
  create(input: { id: string } & PlanPatch): Promise<Plan>;
  get(id: string): Promise<Plan | null>;
  /** Ordered by id. */
  list(): Promise<Plan[]>;
  /** Merges the patch (a null limit removes it; a null mailbox retention removes the override). */
  update(id: string, patch: PlanPatch): Promise<Plan>;
  /** StoreError("conflict") while an organization is on it, "notFound" when absent. */
  delete(id: string): Promise<void>;
}
