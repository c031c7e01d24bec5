/**
 * JMAP EmailSubmission and PushSubscription records on PostgreSQL (JSON values as text, as in the
 * SQLite backend).
 *
 * @module
 */
import type { AccountId } from "../../types.ts";
import type { DeliveryStatus, EmailSubmission, SubmissionStore } from "../../records/submissions.ts";
import type {
  PushSubscriptionPatch,
  PushSubscriptionRecord,
  PushSubscriptionStore,
} from "../../records/push_subscriptions.ts";
import type { Sql } from "../connection.ts";

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

/** JMAP EmailSubmission objects. */
export class PgSubmissionStore implements SubmissionStore {
  /** @param sql the pool @param now the clock in ms */
  constructor(readonly sql: Sql, readonly now: () => number) {}

  /** Stores a submission. */
  async insert(
    accountId: AccountId,
    s: Omit<EmailSubmission, "id">,
    id: string = crypto.randomUUID(),
  ): Promise<EmailSubmission> {
    await this.sql`INSERT INTO jmap_submissions (id, account_id, identity_id, email_id, thread_id, envelope,
        send_at, undo_status, delivery_status, dsn_blob_ids, mdn_blob_ids, queue_id, created)
      VALUES (${id}, ${accountId}, ${s.identityId}, ${s.emailId}, ${s.threadId}, ${
      JSON.stringify(s.envelope)
    },
        ${s.sendAt.getTime()}, ${s.undoStatus}, ${JSON.stringify(s.deliveryStatus)},
        ${JSON.stringify(s.dsnBlobIds)}, ${JSON.stringify(s.mdnBlobIds)}, ${
      s.queueId ?? null
    }, ${this.now()})`;
    return { id, ...s };
  }

  /** One submission, or null. */
  async get(accountId: AccountId, id: string): Promise<EmailSubmission | null> {
    const [row] = await this.sql<SubmissionRow[]>`SELECT * FROM jmap_submissions
      WHERE account_id = ${accountId} AND id = ${id}`;
    return row ? toSubmission(row) : null;
  }

  /** The account's submissions by sendAt. */
  async list(accountId: AccountId): Promise<EmailSubmission[]> {
    return (await this.sql<SubmissionRow[]>`SELECT * FROM jmap_submissions WHERE account_id = ${accountId}
      ORDER BY send_at, id COLLATE "C"`).map(toSubmission);
  }

  /** Links the queue entry of the submission's remote recipients. */
  async setQueueId(accountId: AccountId, id: string, queueId: string): Promise<void> {
    await this
      .sql`UPDATE jmap_submissions SET queue_id = ${queueId} WHERE account_id = ${accountId} AND id = ${id}`;
  }

  /** Merges recipient statuses (read-modify-write under a row lock: concurrent outcomes all land). */
  async updateStatus(
    accountId: AccountId,
    id: string,
    statuses: Record<string, DeliveryStatus>,
    undoStatus?: EmailSubmission["undoStatus"],
  ): Promise<EmailSubmission | null> {
    return await this.sql.begin(async (tx) => {
      const [row] = await tx<SubmissionRow[]>`SELECT * FROM jmap_submissions
        WHERE account_id = ${accountId} AND id = ${id} FOR UPDATE`;
      if (!row) return null;
      const current = toSubmission(row);
      const deliveryStatus = { ...(current.deliveryStatus ?? {}), ...statuses };
      const undo = undoStatus ?? current.undoStatus;
      await tx`UPDATE jmap_submissions SET delivery_status = ${JSON.stringify(deliveryStatus)},
        undo_status = ${undo} WHERE account_id = ${accountId} AND id = ${id}`;
      return { ...current, deliveryStatus, undoStatus: undo };
    }) as EmailSubmission | null;
  }

  /** Deletes a submission. */
  async delete(accountId: AccountId, id: string): Promise<boolean> {
    return (await this.sql`DELETE FROM jmap_submissions WHERE account_id = ${accountId} AND id = ${id}`)
      .count > 0;
  }
}

interface PushRow {
  id: string;
  account_id: string;
  device_client_id: string;
  url: string;
  keys: string | null;
  expected_code: string;
  verification_code: string | null;
  expires: number | null;
  types: string | null;
  created: number;
}

function toPush(r: PushRow): PushSubscriptionRecord {
  return {
    id: r.id,
    accountId: r.account_id,
    deviceClientId: r.device_client_id,
    url: r.url,
    keys: r.keys === null ? null : JSON.parse(r.keys),
    expectedCode: r.expected_code,
    verificationCode: r.verification_code,
    expires: r.expires === null ? null : new Date(r.expires),
    types: r.types === null ? null : JSON.parse(r.types),
    created: new Date(r.created),
  };
}

/** JMAP PushSubscription objects (RFC 8620 §7.2). */
export class PgPushSubscriptionStore implements PushSubscriptionStore {
  /** @param sql the pool */
  constructor(readonly sql: Sql) {}

  /** The account's subscriptions, oldest first. */
  async list(accountId: AccountId): Promise<PushSubscriptionRecord[]> {
    return (await this.sql<PushRow[]>`SELECT * FROM jmap_push_subscriptions WHERE account_id = ${accountId}
      ORDER BY created, id COLLATE "C"`).map(toPush);
  }

  /** Accounts that have subscriptions. */
  async accounts(): Promise<AccountId[]> {
    return (await this.sql<{ account_id: string }[]>`SELECT account_id FROM jmap_push_subscriptions
      GROUP BY account_id ORDER BY account_id COLLATE "C"`).map((r) => r.account_id);
  }

  /** How many subscriptions the account has. */
  async count(accountId: AccountId): Promise<number> {
    const [r] = await this.sql<{ n: number }[]>`SELECT count(*)::bigint AS n FROM jmap_push_subscriptions
      WHERE account_id = ${accountId}`;
    return r?.n ?? 0;
  }

  /** Stores a subscription. */
  async create(s: PushSubscriptionRecord): Promise<void> {
    await this.sql`INSERT INTO jmap_push_subscriptions (id, account_id, device_client_id, url, keys,
        expected_code, verification_code, expires, types, created)
      VALUES (${s.id}, ${s.accountId}, ${s.deviceClientId}, ${s.url},
        ${s.keys === null ? null : JSON.stringify(s.keys)}, ${s.expectedCode}, ${s.verificationCode},
        ${s.expires?.getTime() ?? null}, ${s.types === null ? null : JSON.stringify(s.types)},
        ${s.created.getTime()})`;
  }

  /** Patches a subscription; null when unknown. */
  async update(
    accountId: AccountId,
    id: string,
    patch: PushSubscriptionPatch,
  ): Promise<PushSubscriptionRecord | null> {
    return await this.sql.begin(async (tx) => {
      const [row] = await tx<PushRow[]>`SELECT * FROM jmap_push_subscriptions
        WHERE account_id = ${accountId} AND id = ${id} FOR UPDATE`;
      if (!row) return null;
      const next = { ...toPush(row), ...patch };
      await tx`UPDATE jmap_push_subscriptions SET verification_code = ${next.verificationCode},
        expires = ${next.expires?.getTime() ?? null},
        types = ${next.types === null ? null : JSON.stringify(next.types)} WHERE id = ${id}`;
      return next;
    }) as PushSubscriptionRecord | null;
  }

  /** Deletes a subscription of the account. */
  async delete(accountId: AccountId, id: string): Promise<boolean> {
    return (await this
      .sql`DELETE FROM jmap_push_subscriptions WHERE account_id = ${accountId} AND id = ${id}`)
      .count > 0;
  }

  /** Deletes expired subscriptions; returns how many. */
  async deleteExpired(now: Date): Promise<number> {
    return (await this.sql`DELETE FROM jmap_push_subscriptions WHERE expires IS NOT NULL
      AND expires <= ${now.getTime()}`).count;
  }
}
