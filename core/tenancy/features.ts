/**
 * Feature flags of plans (issue 16), for the features other modules add: `featureEnabled(ctx,
 * { accountId } | { orgId }, "webhooks" | "api_access" | "outbound")`. An organization without a
 * plan has every feature; the answer follows a plan change at once (tenancy policy cache).
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { PlanFeatures } from "../store/records/plans.ts";
import type { Store } from "../store/store.ts";
import type { AccountId } from "../store/types.ts";
import { tenancyOf } from "./policy.ts";

/** A feature a plan can turn off. */
export type Feature = keyof PlanFeatures;

/** Whom a feature is asked for: an account (through its organization) or an organization. */
export type FeatureSubject = { accountId: AccountId } | { orgId: string };

/** Whether the plan of the subject's organization has `feature` on. */
export async function featureEnabled(
  ctx: { store: Store; clock: Clock; log: Logger },
  subject: FeatureSubject,
  feature: Feature,
): Promise<boolean> {
  const policy = tenancyOf(ctx);
  const orgId = "orgId" in subject ? subject.orgId : (await policy.planOf(subject.accountId)).orgId;
  return await policy.featureOfOrg(orgId, feature);
}
