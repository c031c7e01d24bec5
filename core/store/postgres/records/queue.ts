/**
 * The outbound queue's `QueueStore` on PostgreSQL: messages, per-recipient state and the attempts
 * log. Every write is one transaction (committed with synchronous_commit on before it resolves).
 *
 * Several Tern processes on one database share the queue's rows; which process delivers a due
 * group is decided by core/queue, not here (see docs/ARCHITECTURE.md, "Adding a store backend").
 *
 * @module
 */
import type {
  AttemptRecord,
  NewQueuedMessage,
  QueuedMessage,
  QueuedRecipient,
  QueueEntry,
  QueueListRow,
  QueueStore,
  RecipientStatus,
  RecipientUpdate,
} from "../../records/queue.ts";
import type { Queryable, Sql, Tx } from "../connection.ts";

interface MessageRow {
  id: string;
  from_addr: string | null;
  envid: string | null;
  ret: string | null;
  smtputf8: boolean;
  body: string;
  blob_id: string;
  size: number;
  auth_user: string | null;
  created: number;
  expires: number;
  is_dsn: boolean;
  origin: string | null;
  require_tls: boolean;
}

interface RecipientRow {
  message_id: string;
  idx: number;
  address: string;
  domain: string;
  notify: string;
  orcpt: string | null;
  status: string;
  attempts: number;
  next_attempt: number;
  last_reply: string | null;
  last_host: string | null;
  delay_notified: boolean;
  updated: number;
}

interface AttemptRow {
  message_id: string;
  recipients: string;
  at: number;
  host: string | null;
  outcome: string;
  reply: string;
  latency_ms: number;
}

function toMessage(r: MessageRow): QueuedMessage {
  return {
    id: r.id,
    from: r.from_addr,
    envid: r.envid,
    ret: r.ret === "FULL" || r.ret === "HDRS" ? r.ret : null,
    smtputf8: r.smtputf8,
    body: r.body === "8BITMIME" || r.body === "BINARYMIME" ? r.body : "7BIT",
    blobId: r.blob_id,
    size: r.size,
    authUser: r.auth_user,
    createdAt: new Date(r.created),
    expiresAt: new Date(r.expires),
    isDsn: r.is_dsn,
    origin: r.origin ?? null,
    requireTls: r.require_tls,
  };
}

function toRecipient(r: RecipientRow): QueuedRecipient {
  return {
    messageId: r.message_id,
    index: r.idx,
    address: r.address,
    domain: r.domain,
    notify: r.notify === "" ? [] : r.notify.split(","),
    orcpt: r.orcpt,
    status: r.status as RecipientStatus,
    attempts: r.attempts,
    nextAttemptAt: new Date(r.next_attempt),
    lastReply: r.last_reply,
    lastHost: r.last_host,
    delayNotified: r.delay_notified,
    updatedAt: new Date(r.updated),
  };
}

/** Lowercase domain of `local@domain`. */
function domainOf(address: string): string {
  const at = address.lastIndexOf("@");
  return at === -1 ? "" : address.slice(at + 1).toLowerCase();
}

const PENDING = ["queued", "deferred"];

/** The queue's persistent state on PostgreSQL. */
export class PgQueueStore implements QueueStore {
  /** @param sql the pool */
  constructor(readonly sql: Sql) {}

  /** Inserts a message and its recipients; resolves once committed. */
  async insert(
    message: QueuedMessage & { sessionId?: string },
    recipients: { address: string; notify?: string[]; orcpt?: string | null }[],
    now: Date,
  ): Promise<void> {
    await this.sql.begin((tx) => this.#insert(tx as Tx, message, recipients, now));
  }

  async #insert(
    tx: Tx,
    message: QueuedMessage & { sessionId?: string },
    recipients: { address: string; notify?: string[]; orcpt?: string | null }[],
    now: Date,
  ): Promise<void> {
    const t = now.getTime();
    await tx`INSERT INTO queue_messages (id, from_addr, envid, ret, smtputf8, body, blob_id, size, auth_user,
        session_id, created, expires, is_dsn, origin, require_tls)
      VALUES (${message.id}, ${message.from}, ${message.envid}, ${message.ret}, ${message.smtputf8},
        ${message.body}, ${message.blobId}, ${message.size}, ${message.authUser}, ${
      message.sessionId ?? null
    },
        ${message.createdAt.getTime()}, ${message.expiresAt.getTime()}, ${message.isDsn},
        ${message.origin ?? null}, ${message.requireTls ?? false})`;
    for (const [i, r] of recipients.entries()) {
      await tx`INSERT INTO queue_recipients (message_id, idx, address, domain, notify, orcpt, status, attempts,
          next_attempt, updated)
        VALUES (${message.id}, ${i}, ${r.address}, ${domainOf(r.address)}, ${(r.notify ?? []).join(",")},
          ${r.orcpt ?? null}, 'queued', 0, ${t}, ${t})`;
    }
  }

  /** Records outcomes and attempts (and optional new entries, delay marks) in one transaction. */
  async record(
    messageId: string,
    updates: RecipientUpdate[],
    attempts: AttemptRecord[],
    now: Date,
    opts: { removeIfFinished?: boolean; enqueue?: NewQueuedMessage[]; delayNotified?: number[] } = {},
  ): Promise<string | null> {
    const t = now.getTime();
    return await this.sql.begin(async (sql) => {
      const tx = sql as Tx;
      for (const m of opts.enqueue ?? []) await this.#insert(tx, m.message, m.recipients, now);
      if (opts.delayNotified?.length) await this.#markDelayNotified(tx, messageId, opts.delayNotified);
      for (const u of updates) {
        await tx`UPDATE queue_recipients SET status = ${u.status}, attempts = attempts + ${
          u.attempted ? 1 : 0
        },
            next_attempt = ${
          (u.nextAttemptAt ?? now).getTime()
        }, last_reply = ${u.reply}, last_host = ${u.host},
            updated = ${t}
          WHERE message_id = ${messageId} AND idx = ${u.index}`;
      }
      for (const a of attempts) {
        await tx`INSERT INTO queue_attempts (message_id, recipients, at, host, outcome, reply, latency_ms)
          VALUES (${messageId}, ${
          a.recipients.join(",")
        }, ${a.at.getTime()}, ${a.host}, ${a.outcome}, ${a.reply},
            ${Math.round(a.latencyMs)})`;
      }
      if (!opts.removeIfFinished) return null;
      const [r] = await tx<{ n: number }[]>`SELECT count(*)::bigint AS n FROM queue_recipients
        WHERE message_id = ${messageId} AND status = ANY(${PENDING}::text[])`;
      return (r?.n ?? 0) === 0 ? await this.#delete(tx, messageId) : null;
    }) as string | null;
  }

  /** Marks recipients as having had their delay DSN. */
  async markDelayNotified(messageId: string, indexes: number[]): Promise<void> {
    await this.sql.begin((tx) => this.#markDelayNotified(tx as Tx, messageId, indexes));
  }

  async #markDelayNotified(tx: Tx, messageId: string, indexes: number[]): Promise<void> {
    await tx`UPDATE queue_recipients SET delay_notified = true
      WHERE message_id = ${messageId} AND idx = ANY(${indexes}::int[])`;
  }

  /** Deletes a message; returns its blob id, or null when unknown. */
  async delete(messageId: string): Promise<string | null> {
    return await this.sql.begin((tx) => this.#delete(tx as Tx, messageId)) as string | null;
  }

  async #delete(tx: Tx, messageId: string): Promise<string | null> {
    const [r] = await tx<{ blob_id: string }[]>`DELETE FROM queue_messages WHERE id = ${messageId}
      RETURNING blob_id`;
    return r?.blob_id ?? null;
  }

  /** Makes pending recipients (of one message, or all) due now. */
  async retryNow(messageId: string | null, now: Date): Promise<number> {
    const t = now.getTime();
    const r = messageId === null
      ? await this.sql`UPDATE queue_recipients SET next_attempt = ${t} WHERE status = ANY(${PENDING}::text[])`
      : await this.sql`UPDATE queue_recipients SET next_attempt = ${t}
        WHERE message_id = ${messageId} AND status = ANY(${PENDING}::text[])`;
    return r.count;
  }

  /** A message, or null. */
  async getMessage(id: string): Promise<QueuedMessage | null> {
    return await getMessage(this.sql, id);
  }

  /** Recipients of a message in index order. */
  async recipients(id: string): Promise<QueuedRecipient[]> {
    return (await this.sql<
      RecipientRow[]
    >`SELECT * FROM queue_recipients WHERE message_id = ${id} ORDER BY idx`)
      .map(toRecipient);
  }

  /** Attempts of a message, oldest first. */
  async attempts(id: string): Promise<AttemptRecord[]> {
    return (await this.sql<AttemptRow[]>`SELECT * FROM queue_attempts WHERE message_id = ${id} ORDER BY id`)
      .map((a) => ({
        messageId: a.message_id,
        recipients: a.recipients.split(",").filter((s) => s !== "").map(Number),
        at: new Date(a.at),
        host: a.host,
        outcome: a.outcome as AttemptRecord["outcome"],
        reply: a.reply,
        latencyMs: a.latency_ms,
      }));
  }

  /** Message, recipients and attempts, or null. */
  async entry(id: string): Promise<QueueEntry | null> {
    const message = await this.getMessage(id);
    if (!message) return null;
    return { message, recipients: await this.recipients(id), attempts: await this.attempts(id) };
  }

  /** Pending recipients due at `now`, grouped as (message, domain), oldest due first. */
  async dueGroups(now: Date, limit: number): Promise<{ messageId: string; domain: string }[]> {
    return (await this.sql<{ message_id: string; domain: string }[]>`
      SELECT message_id, domain, min(next_attempt) AS due FROM queue_recipients
      WHERE status = ANY(${PENDING}::text[]) AND next_attempt <= ${now.getTime()}
      GROUP BY message_id, domain ORDER BY due, message_id COLLATE "C", domain COLLATE "C" LIMIT ${limit}`)
      .map((r) => ({ messageId: r.message_id, domain: r.domain }));
  }

  /** Earliest next attempt of any pending recipient, or null. */
  async nextDue(): Promise<Date | null> {
    const [r] = await this.sql<{ t: number | null }[]>`SELECT min(next_attempt) AS t FROM queue_recipients
      WHERE status = ANY(${PENDING}::text[])`;
    return r?.t == null ? null : new Date(r.t);
  }

  /** Every message in the queue, oldest first. */
  async list(limit = 10_000): Promise<QueueListRow[]> {
    const rows = await this.sql<{
      id: string;
      from_addr: string | null;
      size: number;
      created: number;
      n: number;
      pending: number | null;
      next: number | null;
      last_reply: string | null;
    }[]>`SELECT m.id, m.from_addr, m.size, m.created, count(r.idx)::bigint AS n,
        count(*) FILTER (WHERE r.status = ANY(${PENDING}::text[]))::bigint AS pending,
        min(r.next_attempt) FILTER (WHERE r.status = ANY(${PENDING}::text[])) AS next,
        max(r.last_reply COLLATE "C") AS last_reply
      FROM queue_messages m LEFT JOIN queue_recipients r ON r.message_id = m.id
      GROUP BY m.id ORDER BY m.created, m.id COLLATE "C" LIMIT ${limit}`;
    return rows.map((r) => ({
      id: r.id,
      from: r.from_addr,
      size: r.size,
      createdAt: new Date(r.created),
      recipients: r.n,
      pending: r.pending ?? 0,
      nextAttemptAt: r.next === null ? null : new Date(r.next),
      lastReply: r.last_reply,
    }));
  }

  /** Recipients per status. */
  async countByStatus(): Promise<Record<RecipientStatus, number>> {
    const out: Record<RecipientStatus, number> = { queued: 0, deferred: 0, delivered: 0, failed: 0 };
    for (
      const r of await this.sql<{ status: RecipientStatus; n: number }[]>`
        SELECT status, count(*)::bigint AS n FROM queue_recipients GROUP BY status`
    ) out[r.status] = r.n;
    return out;
  }

  /** Ids of messages whose recipients are all final. */
  async finishedMessageIds(): Promise<string[]> {
    return (await this.sql<{ id: string }[]>`SELECT m.id FROM queue_messages m WHERE NOT EXISTS (
      SELECT 1 FROM queue_recipients r WHERE r.message_id = m.id AND r.status = ANY(${PENDING}::text[]))
      ORDER BY m.id COLLATE "C"`).map((r) => r.id);
  }
}

async function getMessage(db: Queryable, id: string): Promise<QueuedMessage | null> {
  const [r] = await db<MessageRow[]>`SELECT * FROM queue_messages WHERE id = ${id}`;
  return r ? toMessage(r) : null;
}
