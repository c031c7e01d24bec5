/**
 * `SubmissionStore` (JMAP EmailSubmission, RFC 8621 §7) in SQL, shared by SQLite and PostgreSQL
 * (table `jmap_submissions`, JSON values as text; each backend keeps its schema).
 *
 * @module
 */
import type { AccountId } from "../../types.ts";
import type { DeliveryStatus, EmailSubmission, SubmissionStore } from "../submissions.ts";
import { all, type Dialect, get, type Op, type RecordDb, run } from "./db.ts";

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

/** Read-modify-write under the row's lock: concurrent outcomes of several recipients all land. */
function* updateStatus(
  d: Dialect,
  accountId: AccountId,
  id: string,
  statuses: Record<string, DeliveryStatus>,
  undoStatus?: EmailSubmission["undoStatus"],
): Op<EmailSubmission | null> {
  const row = yield* get<SubmissionRow>(
    `SELECT * FROM jmap_submissions WHERE account_id = ? AND id = ?${d.forUpdate}`,
    accountId,
    id,
  );
  if (!row) return null;
  const current = toSubmission(row);
  const deliveryStatus = { ...(current.deliveryStatus ?? {}), ...statuses };
  const undo = undoStatus ?? current.undoStatus;
  yield* run(
    "UPDATE jmap_submissions SET delivery_status = ?, undo_status = ? WHERE account_id = ? AND id = ?",
    JSON.stringify(deliveryStatus),
    undo,
    accountId,
    id,
  );
  return { ...current, deliveryStatus, undoStatus: undo };
}

/** EmailSubmission records over either backend. */
export class SqlSubmissionStore implements SubmissionStore {
  /**
   * @param db the backend, its JMAP schema applied
   * @param now the clock in ms (creation times)
   */
  constructor(protected readonly db: RecordDb, readonly now: () => number) {}

  /** Stores a submission. */
  async insert(
    accountId: AccountId,
    s: Omit<EmailSubmission, "id">,
    id: string = crypto.randomUUID(),
  ): Promise<EmailSubmission> {
    await this.db.write(run(
      "INSERT INTO jmap_submissions (id, account_id, identity_id, email_id, thread_id, envelope, send_at, " +
        "undo_status, delivery_status, dsn_blob_ids, mdn_blob_ids, queue_id, created) " +
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
      s.queueId ?? null,
      this.now(),
    ));
    return { id, ...s };
  }

  /** One submission, or null. */
  async get(accountId: AccountId, id: string): Promise<EmailSubmission | null> {
    const row = await this.db.read(
      get<SubmissionRow>("SELECT * FROM jmap_submissions WHERE account_id = ? AND id = ?", accountId, id),
    );
    return row ? toSubmission(row) : null;
  }

  /** The account's submissions by sendAt. */
  async list(accountId: AccountId): Promise<EmailSubmission[]> {
    return (await this.db.read(all<SubmissionRow>(
      `SELECT * FROM jmap_submissions WHERE account_id = ? ORDER BY send_at, id${this.db.dialect.bytes}`,
      accountId,
    ))).map(toSubmission);
  }

  /** Links the queue entry of the submission's remote recipients. */
  async setQueueId(accountId: AccountId, id: string, queueId: string): Promise<void> {
    await this.db.write(run(
      "UPDATE jmap_submissions SET queue_id = ? WHERE account_id = ? AND id = ?",
      queueId,
      accountId,
      id,
    ));
  }

  /** Merges recipient statuses; null when unknown. */
  updateStatus(
    accountId: AccountId,
    id: string,
    statuses: Record<string, DeliveryStatus>,
    undoStatus?: EmailSubmission["undoStatus"],
  ): Promise<EmailSubmission | null> {
    return this.db.atomic(updateStatus(this.db.dialect, accountId, id, statuses, undoStatus));
  }

  /** Deletes a submission. */
  async delete(accountId: AccountId, id: string): Promise<boolean> {
    return (await this.db.write(
      run("DELETE FROM jmap_submissions WHERE account_id = ? AND id = ?", accountId, id),
    )) > 0;
  }
}
