/**
 * JMAP EmailSubmission records (RFC 8621 §7): kept by the store (`Store.submissions`); this module
 * has the queue origin tags that tie a queued message to its submission.
 *
 * @module
 */
import type { AccountId } from "../store/types.ts";

export type {
  DeliveryStatus,
  EmailSubmission,
  Envelope,
  SubmissionAddress,
  SubmissionStore,
} from "../store/records/submissions.ts";

/** The queue origin tag of a submission (`EnqueueOptions.origin`). */
export function submissionOrigin(accountId: AccountId, submissionId: string): string {
  return `jmap-submission:${accountId}:${submissionId}`;
}

/** The account and submission of an origin tag, or null for another submitter's tag. */
export function parseSubmissionOrigin(origin: string): { accountId: AccountId; submissionId: string } | null {
  const m = /^jmap-submission:([^:]+):([^:]+)$/.exec(origin);
  return m ? { accountId: m[1]!, submissionId: m[2]! } : null;
}
