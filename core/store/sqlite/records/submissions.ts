/**
 * SQLite implementation of `SubmissionStore` (table `jmap_submissions`).
 *
 * @module
 */
import type { Clock } from "../../../clock.ts";
import type { AccountId } from "../../types.ts";
import type { DeliveryStatus, EmailSubmission, SubmissionStore } from "../../records/submissions.ts";
import type { Database } from "../database.ts";

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

/** EmailSubmission records in the store database. */
export class SqliteSubmissionStore implements SubmissionStore {
  readonly #db: Database;
  readonly #clock: Clock;

  /** @param db the store database, JMAP schema applied */
  constructor(db: Database, clock: Clock) {
    this.#db = db;
    this.#clock = clock;
  }

  #get(accountId: AccountId, id: string): EmailSubmission | null {
    const row = this.#db.get<SubmissionRow>(
      "SELECT * FROM jmap_submissions WHERE account_id = ? AND id = ?",
      accountId,
      id,
    );
    return row ? toSubmission(row) : null;
  }

  insert(
    accountId: AccountId,
    s: Omit<EmailSubmission, "id">,
    id: string = crypto.randomUUID(),
  ): Promise<EmailSubmission> {
    this.#db.run(
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
      this.#clock.now().getTime(),
    );
    return Promise.resolve({ id, ...s });
  }

  get(accountId: AccountId, id: string): Promise<EmailSubmission | null> {
    return Promise.resolve(this.#get(accountId, id));
  }

  list(accountId: AccountId): Promise<EmailSubmission[]> {
    return Promise.resolve(
      this.#db.all<SubmissionRow>(
        "SELECT * FROM jmap_submissions WHERE account_id = ? ORDER BY send_at, id",
        accountId,
      ).map(toSubmission),
    );
  }

  setQueueId(accountId: AccountId, id: string, queueId: string): Promise<void> {
    this.#db.run(
      "UPDATE jmap_submissions SET queue_id = ? WHERE account_id = ? AND id = ?",
      queueId,
      accountId,
      id,
    );
    return Promise.resolve();
  }

  updateStatus(
    accountId: AccountId,
    id: string,
    statuses: Record<string, DeliveryStatus>,
    undoStatus?: EmailSubmission["undoStatus"],
  ): Promise<EmailSubmission | null> {
    // Read-modify-write in one transaction: concurrent outcomes of several recipients all land.
    return Promise.resolve(this.#db.transaction(() => {
      const current = this.#get(accountId, id);
      if (!current) return null;
      const deliveryStatus = { ...(current.deliveryStatus ?? {}), ...statuses };
      const undo = undoStatus ?? current.undoStatus;
      this.#db.run(
        "UPDATE jmap_submissions SET delivery_status = ?, undo_status = ? WHERE account_id = ? AND id = ?",
        JSON.stringify(deliveryStatus),
        undo,
        accountId,
        id,
      );
      return { ...current, deliveryStatus, undoStatus: undo };
    }));
  }

  delete(accountId: AccountId, id: string): Promise<boolean> {
    return Promise.resolve(
      this.#db.run("DELETE FROM jmap_submissions WHERE account_id = ? AND id = ?", accountId, id).changes > 0,
    );
  }
}
