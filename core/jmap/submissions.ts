/**
 * JMAP EmailSubmission records (RFC 8621 §7). Sending happens in protocols/jmap; this module keeps
 * what was submitted and how delivery went.
 *
 * @module
 */
import type { AccountId } from "../store/types.ts";
import type { JmapSql } from "./sql.ts";
import { ensureJmapSchema } from "./schema.ts";

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

interface SubmissionRow {
  id: string;
  account_id: string;
  identity_id: string;
  email_id: string;
  thread_id: string;
  envelope: string;
  send_at: number;
  undo_status: EmailSubmission["undoStatus"];
  delivery_status: string;
  dsn_blob_ids: string;
  mdn_blob_ids: string;
  queue_id: string | null;
}

function toSubmission(row: SubmissionRow): EmailSubmission {
  return {
    id: row.id,
    identityId: row.identity_id,
    emailId: row.email_id,
    threadId: row.thread_id,
    envelope: JSON.parse(row.envelope),
    sendAt: new Date(row.send_at),
    undoStatus: row.undo_status,
    deliveryStatus: JSON.parse(row.delivery_status),
    dsnBlobIds: JSON.parse(row.dsn_blob_ids),
    mdnBlobIds: JSON.parse(row.mdn_blob_ids),
    queueId: row.queue_id ?? null,
  };
}

/** The queue origin tag of a submission (`EnqueueOptions.origin`). */
export function submissionOrigin(accountId: AccountId, submissionId: string): string {
  return `jmap-submission:${accountId}:${submissionId}`;
}

/** The account and submission of an origin tag, or null for another submitter's tag. */
export function parseSubmissionOrigin(origin: string): { accountId: AccountId; submissionId: string } | null {
  const m = /^jmap-submission:([^:]+):([^:]+)$/.exec(origin);
  return m ? { accountId: m[1]!, submissionId: m[2]! } : null;
}

/** EmailSubmission records of all accounts. */
export class Submissions {
  readonly #sql: JmapSql;

  /** @param sql the store database */
  constructor(sql: JmapSql) {
    ensureJmapSchema(sql);
    this.#sql = sql;
  }

  /** Stores a submission (`id` may be chosen up front, e.g. to tag its queue entry). */
  insert(
    accountId: AccountId,
    s: Omit<EmailSubmission, "id">,
    id: string = crypto.randomUUID(),
  ): EmailSubmission {
    this.#sql.run(
      "INSERT INTO jmap_submissions (id, account_id, identity_id, email_id, thread_id, envelope, send_at, " +
        "undo_status, delivery_status, dsn_blob_ids, mdn_blob_ids, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      id,
      accountId,
      s.identityId,
      s.emailId,
      s.threadId,
      JSON.stringify(s.envelope),
      s.sendAt.getTime(),
      s.undoStatus,
      JSON.stringify(s.deliveryStatus),
      JSON.stringify(s.dsnBlobIds),
      JSON.stringify(s.mdnBlobIds),
      Date.now(),
    );
    return { id, ...s };
  }

  /** One submission, or null. */
  get(accountId: AccountId, id: string): EmailSubmission | null {
    const row = this.#sql.get<SubmissionRow>(
      "SELECT * FROM jmap_submissions WHERE account_id = ? AND id = ?",
      accountId,
      id,
    );
    return row ? toSubmission(row) : null;
  }

  /** Every submission of an account, oldest sendAt first. */
  list(accountId: AccountId): EmailSubmission[] {
    return this.#sql.all<SubmissionRow>(
      "SELECT * FROM jmap_submissions WHERE account_id = ? ORDER BY send_at, id",
      accountId,
    ).map(toSubmission);
  }

  /** Records the outbound queue id of a submission. */
  setQueueId(accountId: AccountId, id: string, queueId: string): void {
    this.#sql.run(
      "UPDATE jmap_submissions SET queue_id = ? WHERE account_id = ? AND id = ?",
      queueId,
      accountId,
      id,
    );
  }

  /**
   * Sets the delivery status of some recipients and, when given, undoStatus, in one statement
   * read-modify-write (SQLite runs it atomically on the one connection). False when the
   * submission no longer exists.
   */
  updateStatus(
    accountId: AccountId,
    id: string,
    statuses: Record<string, DeliveryStatus>,
    undoStatus?: EmailSubmission["undoStatus"],
  ): EmailSubmission | null {
    const current = this.get(accountId, id);
    if (!current) return null;
    const deliveryStatus = { ...(current.deliveryStatus ?? {}), ...statuses };
    const undo = undoStatus ?? current.undoStatus;
    this.#sql.run(
      "UPDATE jmap_submissions SET delivery_status = ?, undo_status = ? WHERE account_id = ? AND id = ?",
      JSON.stringify(deliveryStatus),
      undo,
      accountId,
      id,
    );
    return { ...current, deliveryStatus, undoStatus: undo };
  }

  /** Sets undoStatus (only pending → canceled is allowed by callers). */
  setUndoStatus(accountId: AccountId, id: string, status: EmailSubmission["undoStatus"]): boolean {
    return this.#sql.run(
      "UPDATE jmap_submissions SET undo_status = ? WHERE account_id = ? AND id = ?",
      status,
      accountId,
      id,
    ).changes > 0;
  }

  /** Deletes a submission record; true when it existed. */
  delete(accountId: AccountId, id: string): boolean {
    return this.#sql.run("DELETE FROM jmap_submissions WHERE account_id = ? AND id = ?", accountId, id)
      .changes > 0;
  }
}
