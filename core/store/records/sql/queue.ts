/**
 * The outbound queue's `QueueStore` in SQL, shared by SQLite and PostgreSQL: messages,
 * per-recipient state and the attempts log (tables `queue_messages`, `queue_recipients`,
 * `queue_attempts`; each backend keeps its schema). Flags are INTEGER 0/1 on SQLite and BOOLEAN on
 * PostgreSQL: written as boolean parameters, read with `Boolean`. Every write is one transaction,
 * committed before its promise resolves.
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
} from "../queue.ts";
import { all, type Dialect, get, type Op, type RecordDb, run } from "./db.ts";

interface MessageRow {
  id: string;
  from_addr: string | null;
  envid: string | null;
  ret: string | null;
  smtputf8: number | boolean;
  body: string;
  blob_id: string;
  size: number;
  auth_user: string | null;
  created: number;
  expires: number;
  is_dsn: number | boolean;
  origin: string | null;
  require_tls: number | boolean;
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
  delay_notified: number | boolean;
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
    smtputf8: Boolean(r.smtputf8),
    body: r.body === "8BITMIME" || r.body === "BINARYMIME" ? r.body : "7BIT",
    blobId: r.blob_id,
    size: r.size,
    authUser: r.auth_user,
    createdAt: new Date(r.created),
    expiresAt: new Date(r.expires),
    isDsn: Boolean(r.is_dsn),
    origin: r.origin ?? null,
    requireTls: Boolean(r.require_tls),
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
    delayNotified: Boolean(r.delay_notified),
    updatedAt: new Date(r.updated),
  };
}

/** Lowercase domain of `local@domain`. */
export function domainOf(address: string): string {
  const at = address.lastIndexOf("@");
  return at === -1 ? "" : address.slice(at + 1).toLowerCase();
}

/** The statuses still to be delivered. */
const PENDING = "status IN ('queued', 'deferred')";

type NewRecipient = { address: string; notify?: string[]; orcpt?: string | null };

function* insert(
  message: QueuedMessage & { sessionId?: string },
  recipients: NewRecipient[],
  now: Date,
): Op<void> {
  const t = now.getTime();
  yield* run(
    `INSERT INTO queue_messages (id, from_addr, envid, ret, smtputf8, body, blob_id, size, auth_user,
       session_id, created, expires, is_dsn, origin, require_tls)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    message.id,
    message.from,
    message.envid,
    message.ret,
    message.smtputf8,
    message.body,
    message.blobId,
    message.size,
    message.authUser,
    message.sessionId ?? null,
    message.createdAt.getTime(),
    message.expiresAt.getTime(),
    message.isDsn,
    message.origin ?? null,
    message.requireTls ?? false,
  );
  for (const [i, r] of recipients.entries()) {
    yield* run(
      `INSERT INTO queue_recipients (message_id, idx, address, domain, notify, orcpt, status, attempts,
         next_attempt, updated) VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?)`,
      message.id,
      i,
      r.address,
      domainOf(r.address),
      (r.notify ?? []).join(","),
      r.orcpt ?? null,
      t,
      t,
    );
  }
}

function* markDelayNotified(messageId: string, indexes: number[]): Op<void> {
  for (const i of indexes) {
    yield* run(
      "UPDATE queue_recipients SET delay_notified = ? WHERE message_id = ? AND idx = ?",
      true,
      messageId,
      i,
    );
  }
}

function* remove(messageId: string): Op<string | null> {
  const r = yield* get<{ blob_id: string }>("SELECT blob_id FROM queue_messages WHERE id = ?", messageId);
  if (!r) return null;
  yield* run("DELETE FROM queue_attempts WHERE message_id = ?", messageId);
  yield* run("DELETE FROM queue_recipients WHERE message_id = ?", messageId);
  yield* run("DELETE FROM queue_messages WHERE id = ?", messageId);
  return r.blob_id;
}

function* record(
  messageId: string,
  updates: RecipientUpdate[],
  attempts: AttemptRecord[],
  now: Date,
  opts: { removeIfFinished?: boolean; enqueue?: NewQueuedMessage[]; delayNotified?: number[] },
): Op<string | null> {
  const t = now.getTime();
  for (const m of opts.enqueue ?? []) yield* insert(m.message, m.recipients, now);
  if (opts.delayNotified?.length) yield* markDelayNotified(messageId, opts.delayNotified);
  for (const u of updates) {
    yield* run(
      `UPDATE queue_recipients SET status = ?, attempts = attempts + ?, next_attempt = ?, last_reply = ?,
         last_host = ?, updated = ? WHERE message_id = ? AND idx = ?`,
      u.status,
      u.attempted ? 1 : 0,
      (u.nextAttemptAt ?? now).getTime(),
      u.reply,
      u.host,
      t,
      messageId,
      u.index,
    );
  }
  for (const a of attempts) {
    yield* run(
      `INSERT INTO queue_attempts (message_id, recipients, at, host, outcome, reply, latency_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      messageId,
      a.recipients.join(","),
      a.at.getTime(),
      a.host,
      a.outcome,
      a.reply,
      Math.round(a.latencyMs),
    );
  }
  if (!opts.removeIfFinished) return null;
  const r = yield* get<{ n: number }>(
    `SELECT count(*) AS n FROM queue_recipients WHERE message_id = ? AND ${PENDING}`,
    messageId,
  );
  return Number(r?.n ?? 0) === 0 ? yield* remove(messageId) : null;
}

function* getMessage(id: string): Op<QueuedMessage | null> {
  const r = yield* get<MessageRow>("SELECT * FROM queue_messages WHERE id = ?", id);
  return r ? toMessage(r) : null;
}

function* recipientsOf(id: string): Op<QueuedRecipient[]> {
  return (yield* all<RecipientRow>("SELECT * FROM queue_recipients WHERE message_id = ? ORDER BY idx", id))
    .map(toRecipient);
}

function* attemptsOf(id: string): Op<AttemptRecord[]> {
  return (yield* all<AttemptRow>("SELECT * FROM queue_attempts WHERE message_id = ? ORDER BY id", id)).map((
    a,
  ) => ({
    messageId: a.message_id,
    recipients: a.recipients.split(",").filter((s) => s !== "").map(Number),
    at: new Date(a.at),
    host: a.host,
    outcome: a.outcome as AttemptRecord["outcome"],
    reply: a.reply,
    latencyMs: a.latency_ms,
  }));
}

function* entry(id: string): Op<QueueEntry | null> {
  const message = yield* getMessage(id);
  if (!message) return null;
  return { message, recipients: yield* recipientsOf(id), attempts: yield* attemptsOf(id) };
}

function* list(d: Dialect, limit: number): Op<QueueListRow[]> {
  const rows = yield* all<{
    id: string;
    from_addr: string | null;
    size: number;
    created: number;
    n: number;
    pending: number | null;
    next: number | null;
    last_reply: string | null;
  }>(
    `SELECT m.id, m.from_addr, m.size, m.created, count(r.idx) AS n,
       sum(CASE WHEN r.${PENDING} THEN 1 ELSE 0 END) AS pending,
       min(CASE WHEN r.${PENDING} THEN r.next_attempt END) AS next,
       max(r.last_reply${d.bytes}) AS last_reply
     FROM queue_messages m LEFT JOIN queue_recipients r ON r.message_id = m.id
     GROUP BY m.id ORDER BY m.created, m.id${d.bytes} LIMIT ?`,
    limit,
  );
  return rows.map((r) => ({
    id: r.id,
    from: r.from_addr,
    size: r.size,
    createdAt: new Date(r.created),
    recipients: Number(r.n),
    pending: Number(r.pending ?? 0),
    nextAttemptAt: r.next === null ? null : new Date(r.next),
    lastReply: r.last_reply,
  }));
}

/**
 * The queue's persistent state over either backend. Several Tern processes on one PostgreSQL
 * database share the rows; which process delivers a due group is decided by core/queue, not here.
 */
export class SqlQueueStore implements QueueStore {
  /** @param db the backend, its queue schema applied */
  constructor(protected readonly db: RecordDb) {}

  /** Inserts a message and its recipients; resolves once committed. */
  async insert(
    message: QueuedMessage & { sessionId?: string },
    recipients: NewRecipient[],
    now: Date,
  ): Promise<void> {
    await this.db.atomic(insert(message, recipients, now));
  }

  /** Records outcomes and attempts (and optional new entries, delay marks) in one transaction. */
  record(
    messageId: string,
    updates: RecipientUpdate[],
    attempts: AttemptRecord[],
    now: Date,
    opts: { removeIfFinished?: boolean; enqueue?: NewQueuedMessage[]; delayNotified?: number[] } = {},
  ): Promise<string | null> {
    return this.db.atomic(record(messageId, updates, attempts, now, opts));
  }

  /** Marks recipients as having had their delay DSN. */
  async markDelayNotified(messageId: string, indexes: number[]): Promise<void> {
    await this.db.atomic(markDelayNotified(messageId, indexes));
  }

  /** Deletes a message; returns its blob id, or null when unknown. */
  delete(messageId: string): Promise<string | null> {
    return this.db.atomic(remove(messageId));
  }

  /** Makes pending recipients (of one message, or all) due now. */
  retryNow(messageId: string | null, now: Date): Promise<number> {
    const t = now.getTime();
    return this.db.atomic(
      messageId === null ? run(`UPDATE queue_recipients SET next_attempt = ? WHERE ${PENDING}`, t) : run(
        `UPDATE queue_recipients SET next_attempt = ? WHERE message_id = ? AND ${PENDING}`,
        t,
        messageId,
      ),
    );
  }

  /** A message, or null. */
  getMessage(id: string): Promise<QueuedMessage | null> {
    return this.db.read(getMessage(id));
  }

  /** Recipients of a message in index order. */
  recipients(id: string): Promise<QueuedRecipient[]> {
    return this.db.read(recipientsOf(id));
  }

  /** Attempts of a message, oldest first. */
  attempts(id: string): Promise<AttemptRecord[]> {
    return this.db.read(attemptsOf(id));
  }

  /** Message, recipients and attempts, or null. */
  entry(id: string): Promise<QueueEntry | null> {
    return this.db.read(entry(id));
  }

  /** Pending recipients due at `now`, grouped as (message, domain), oldest due first. */
  async dueGroups(now: Date, limit: number): Promise<{ messageId: string; domain: string }[]> {
    const b = this.db.dialect.bytes;
    return (await this.db.read(all<{ message_id: string; domain: string }>(
      `SELECT message_id, domain, min(next_attempt) AS due FROM queue_recipients
       WHERE ${PENDING} AND next_attempt <= ?
       GROUP BY message_id, domain ORDER BY due, message_id${b}, domain${b} LIMIT ?`,
      now.getTime(),
      limit,
    ))).map((r) => ({ messageId: r.message_id, domain: r.domain }));
  }

  /** Earliest next attempt of any pending recipient, or null. */
  async nextDue(): Promise<Date | null> {
    const r = await this.db.read(
      get<{ t: number | null }>(`SELECT min(next_attempt) AS t FROM queue_recipients WHERE ${PENDING}`),
    );
    return r?.t == null ? null : new Date(r.t);
  }

  /** Every message in the queue, oldest first. */
  list(limit = 10_000): Promise<QueueListRow[]> {
    return this.db.read(list(this.db.dialect, limit));
  }

  /** Recipients per status. */
  async countByStatus(): Promise<Record<RecipientStatus, number>> {
    const out: Record<RecipientStatus, number> = { queued: 0, deferred: 0, delivered: 0, failed: 0 };
    const rows = await this.db.read(
      all<{ status: RecipientStatus; n: number }>(
        "SELECT status, count(*) AS n FROM queue_recipients GROUP BY status",
      ),
    );
    for (const r of rows) out[r.status] = Number(r.n);
    return out;
  }

  /** Ids of messages whose recipients are all final (left over by a crash before cleanup). */
  async finishedMessageIds(): Promise<string[]> {
    return (await this.db.read(all<{ id: string }>(
      `SELECT m.id FROM queue_messages m WHERE NOT EXISTS (
         SELECT 1 FROM queue_recipients r WHERE r.message_id = m.id AND r.${PENDING})
       ORDER BY m.id${this.db.dialect.bytes}`,
    ))).map((r) => r.id);
  }
}
