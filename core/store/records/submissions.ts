/**
 * JMAP EmailSubmission records (`Store.submissions`, RFC 8621 §7): what was submitted and how
 * delivery went. Sending happens in protocols/jmap and core/queue.
 *
 * @module
 */
import type { AccountId } from "../types.ts";

/** An SMTP address with optional parameters (RFC 8621 §7). */
export interface SubmissionAddress {
  email: string;
  parameters: Record<string, string | null> | null;
}

/** The SMTP envelope of a submission. */
export interface Envelope {
  mailFrom: SubmissionAddress;
  rcptTo: SubmissionAddress[];
}

/** Delivery status of one recipient (RFC 8621 §7 DeliveryStatus). */
export interface DeliveryStatus {
  smtpReply: string;
  delivered: "queued" | "yes" | "no" | "unknown";
  displayed: "unknown" | "yes";
}

/** A stored EmailSubmission. */
export interface EmailSubmission {
  id: string;
  identityId: string;
  emailId: string;
  threadId: string;
  envelope: Envelope;
  sendAt: Date;
  undoStatus: "pending" | "final" | "canceled";
  deliveryStatus: Record<string, DeliveryStatus> | null;
  dsnBlobIds: string[];
  mdnBlobIds: string[];
  /** Outbound queue id of the remote recipients' message, if any. */
  queueId?: string | null;
}

/** EmailSubmission records of all accounts. */
export interface SubmissionStore {
  /** Stores a submission (`id` may be chosen up front, e.g. to tag its queue entry). */
  insert(accountId: AccountId, s: Omit<EmailSubmission, "id">, id?: string): Promise<EmailSubmission>;
  /** One submission, or null. */
  get(accountId: AccountId, id: string): Promise<EmailSubmission | null>;
  /** Every submission of an account, oldest sendAt first. */
  list(accountId: AccountId): Promise<EmailSubmission[]>;
  /** Records the outbound queue id of a submission. */
  setQueueId(accountId: AccountId, id: string, queueId: string): Promise<void>;
  /**
   * Merges the delivery status of some recipients and, when given, sets undoStatus, atomically.
   * Null when the submission no longer exists.
   */
  updateStatus(
    accountId: AccountId,
    id: string,
    statuses: Record<string, DeliveryStatus>,
    undoStatus?: EmailSubmission["undoStatus"],
  ): Promise<EmailSubmission | null>;
  /** Deletes a submission record; true when it existed. */
  delete(accountId: AccountId, id: string): Promise<boolean>;
}
