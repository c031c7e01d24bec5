/**
 * SQLite implementation of the outbound queue's `QueueStore`: messages, per-recipient state and the attempts log, in Tern's SQLite
 * database. Every write is one synchronous transaction (WAL, synchronous=FULL): when a method
 * returns, the change is committed and fsynced.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import type { Database } from "../database.ts";
import { QUEUE_COMPONENT, QUEUE_MIGRATIONS } from "./queue_schema.ts";
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

interface MessageRow {
  id: string;
  from_addr: string | null;
  envid: string | null;
  ret: string | null;
  smtputf8: number;
  body: string;
  blob_id: string;
  size: number;
  auth_user: string | null;
  created: number;
  expires: number;
  is_dsn: number;
  origin: string | null;
  require_tls: number;
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
  delay_notified: number;
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
    smtputf8: r.smtputf8 === 1,
    body: r.body === "8BITMIME" || r.body === "BINARYMIME" ? r.body : "7BIT",
    blobId: r.blob_id,
    size: r.size,
    authUser: r.auth_user,
    createdAt: new Date(r.created),
    expiresAt: new Date(r.expires),
    isDsn: r.is_dsn === 1,
    origin: r.origin ?? null,
    requireTls: r.require_tls === 1,
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
    delayNotified: r.delay_notified === 1,
    updatedAt: new Date(r.updated),
  };
}

/** Lowercase domain of `local@domain`. */
export function domainOf(address: string): string {
  const at = address.lastIndexOf("@");
  return at === -1 ? "" : address.slice(at + 1).toLowerCase();
}

interface Job {
  fn: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/**
 * The queue's persistent state. Writes from concurrent deliveries and enqueues issued in the same
 * event-loop turn share one transaction (group commit: one fsync for many), each job in its own
 * savepoint; every promise settles only after the COMMIT.
 */
export class SqliteQueueStore implements QueueStore {
  readonly #db: Database;
  #pending: Job[] = [];
  #scheduled = false;

  /** Applies the queue's migrations. */
  constructor(db: Database) {
    this.#db = db;
    db.applyMigrations(QUEUE_COMPONENT, QUEUE_MIGRATIONS);
  }

  /** Runs `fn` in the next group commit; resolves after the commit (fsynced). */
  #write<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // After this turn's I/O, without setTimeout(0)'s 1 ms clamp (see write_queue.ts).
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    const jobs = this.#pending;
    this.#pending = [];
    this.#scheduled = false;
    const results: { ok: boolean; value: unknown }[] = [];
    try {
      this.#db.transaction(() => {
        for (const j of jobs) {
          try {
            results.push({ ok: true, value: this.#db.transaction(j.fn) });
          } catch (e) {
            results.push({ ok: false, value: e });
          }
        }
      });
    } catch (e) {
      for (const j of jobs) j.reject(e);
      return;
    }
    jobs.forEach((j, i) => (results[i]!.ok ? j.resolve(results[i]!.value) : j.reject(results[i]!.value)));
  }

  /** Inserts a message and its recipients; resolves once committed and fsynced. */
  insert(
    message: QueuedMessage & { sessionId?: string },
    recipients: { address: string; notify?: string[]; orcpt?: string | null }[],
    now: Date,
  ): Promise<void> {
    return this.#write(() => this.#insertSync(message, recipients, now));
  }

  #insertSync(
    message: QueuedMessage & { sessionId?: string },
    recipients: { address: string; notify?: string[]; orcpt?: string | null }[],
    now: Date,
  ): void {
    const t = now.getTime();
    this.#db.transaction(() => {
      this.#db.run(
        `INSERT INTO queue_messages (id, from_addr, envid, ret, smtputf8, body, blob_id, size, auth_user,
           session_id, created, expires, is_dsn, origin, require_tls)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        message.id,
        message.from,
        message.envid,
        message.ret,
        message.smtputf8 ? 1 : 0,
        message.body,
        message.blobId,
        message.size,
        message.authUser,
        message.sessionId ?? null,
        message.createdAt.getTime(),
        message.expiresAt.getTime(),
        message.isDsn ? 1 : 0,
        message.origin ?? null,
        message.requireTls ? 1 : 0,
      );
      recipients.forEach((r, i) => {
        this.#db.run(
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
      });
    });
  }

  /** A message, or null. */
  #getMessageSync(id: string): QueuedMessage | null {
    const r = this.#db.get<MessageRow>("SELECT * FROM queue_messages WHERE id = ?", id);
    return r ? toMessage(r) : null;
  }

  /** Recipients of a message in index order. */
  #recipientsSync(id: string): QueuedRecipient[] {
    return this.#db.all<RecipientRow>("SELECT * FROM queue_recipients WHERE message_id = ? ORDER BY idx", id)
      .map(toRecipient);
  }

  /** Attempts of a message, oldest first. */
  #attemptsSync(id: string): AttemptRecord[] {
    return this.#db.all<AttemptRow>("SELECT * FROM queue_attempts WHERE message_id = ? ORDER BY id", id).map((
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

  /** Message, recipients and attempts, or null. */
  #entrySync(id: string): QueueEntry | null {
    const message = this.#getMessageSync(id);
    if (!message) return null;
    return { message, recipients: this.#recipientsSync(id), attempts: this.#attemptsSync(id) };
  }

  /**
   * Pending recipients due at `now`, grouped as (message, domain), oldest due first, at most
   * `limit` groups.
   */
  #dueGroupsSync(now: Date, limit: number): { messageId: string; domain: string }[] {
    return this.#db.all<{ message_id: string; domain: string }>(
      `SELECT message_id, domain, min(next_attempt) AS due FROM queue_recipients
         WHERE status IN ('queued', 'deferred') AND next_attempt <= ?
         GROUP BY message_id, domain ORDER BY due LIMIT ?`,
      now.getTime(),
      limit,
    ).map((r) => ({ messageId: r.message_id, domain: r.domain }));
  }

  /** Earliest next attempt of any pending recipient, or null when nothing is pending. */
  #nextDueSync(): Date | null {
    const r = this.#db.get<{ t: number | null }>(
      "SELECT min(next_attempt) AS t FROM queue_recipients WHERE status IN ('queued', 'deferred')",
    );
    return r?.t == null ? null : new Date(r.t);
  }

  record(
    messageId: string,
    updates: RecipientUpdate[],
    attempts: AttemptRecord[],
    now: Date,
    opts: { removeIfFinished?: boolean; enqueue?: NewQueuedMessage[]; delayNotified?: number[] } = {},
  ): Promise<string | null> {
    const t = now.getTime();
    return this.#write(() => {
      for (const m of opts.enqueue ?? []) this.#insertSync(m.message, m.recipients, now);
      if (opts.delayNotified?.length) this.#markDelayNotifiedSync(messageId, opts.delayNotified);
      for (const u of updates) {
        this.#db.run(
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
        this.#db.run(
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
      return opts.removeIfFinished && this.#isFinished(messageId) ? this.#deleteSync(messageId) : null;
    });
  }

  /** Marks recipients as having had their delay DSN. */
  markDelayNotified(messageId: string, indexes: number[]): Promise<void> {
    return this.#write(() => this.#markDelayNotifiedSync(messageId, indexes));
  }

  #markDelayNotifiedSync(messageId: string, indexes: number[]): void {
    this.#db.transaction(() => {
      for (const i of indexes) {
        this.#db.run(
          "UPDATE queue_recipients SET delay_notified = 1 WHERE message_id = ? AND idx = ?",
          messageId,
          i,
        );
      }
    });
  }

  /** True when every recipient of the message is delivered or failed. */
  #isFinished(messageId: string): boolean {
    const r = this.#db.get<{ n: number }>(
      "SELECT count(*) AS n FROM queue_recipients WHERE message_id = ? AND status IN ('queued', 'deferred')",
      messageId,
    );
    return (r?.n ?? 0) === 0;
  }

  delete(messageId: string): Promise<string | null> {
    return this.#write(() => this.#deleteSync(messageId));
  }

  #deleteSync(messageId: string): string | null {
    return this.#db.transaction(() => {
      const r = this.#db.get<{ blob_id: string }>(
        "SELECT blob_id FROM queue_messages WHERE id = ?",
        messageId,
      );
      if (!r) return null;
      this.#db.run("DELETE FROM queue_attempts WHERE message_id = ?", messageId);
      this.#db.run("DELETE FROM queue_recipients WHERE message_id = ?", messageId);
      this.#db.run("DELETE FROM queue_messages WHERE id = ?", messageId);
      return r.blob_id;
    });
  }

  retryNow(messageId: string | null, now: Date): Promise<number> {
    return this.#write(() => this.#retryNowSync(messageId, now));
  }

  #retryNowSync(messageId: string | null, now: Date): number {
    const t = now.getTime();
    return this.#db.transaction(() =>
      messageId === null
        ? this.#db.run(
          "UPDATE queue_recipients SET next_attempt = ? WHERE status IN ('queued', 'deferred')",
          t,
        ).changes
        : this.#db.run(
          "UPDATE queue_recipients SET next_attempt = ? WHERE message_id = ? AND status IN ('queued', 'deferred')",
          t,
          messageId,
        ).changes
    );
  }

  /** Every message in the queue, oldest first. */
  #listSync(limit = 10_000): QueueListRow[] {
    return this.#db.all<{
      id: string;
      from_addr: string | null;
      size: number;
      created: number;
      n: number;
      pending: number;
      next: number | null;
      last_reply: string | null;
    }>(
      `SELECT m.id, m.from_addr, m.size, m.created, count(r.idx) AS n,
         sum(r.status IN ('queued', 'deferred')) AS pending,
         min(CASE WHEN r.status IN ('queued', 'deferred') THEN r.next_attempt END) AS next,
         max(r.last_reply) AS last_reply
       FROM queue_messages m LEFT JOIN queue_recipients r ON r.message_id = m.id
       GROUP BY m.id ORDER BY m.created, m.id LIMIT ?`,
      limit,
    ).map((r) => ({
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

  /** Recipients per status (metrics gauges). */
  #countByStatusSync(): Record<RecipientStatus, number> {
    const out: Record<RecipientStatus, number> = { queued: 0, deferred: 0, delivered: 0, failed: 0 };
    for (
      const r of this.#db.all<{ status: RecipientStatus; n: number }>(
        "SELECT status, count(*) AS n FROM queue_recipients GROUP BY status",
      )
    ) out[r.status] = r.n;
    return out;
  }

  /** Ids of messages whose recipients are all final (left over by a crash before cleanup). */
  #finishedMessageIdsSync(): string[] {
    return this.#db.all<{ id: string }>(
      `SELECT m.id FROM queue_messages m WHERE NOT EXISTS (
         SELECT 1 FROM queue_recipients r WHERE r.message_id = m.id AND r.status IN ('queued', 'deferred'))`,
    ).map((r) => r.id);
  }

  getMessage(id: string): Promise<QueuedMessage | null> {
    return Promise.resolve(this.#getMessageSync(id));
  }

  recipients(id: string): Promise<QueuedRecipient[]> {
    return Promise.resolve(this.#recipientsSync(id));
  }

  attempts(id: string): Promise<AttemptRecord[]> {
    return Promise.resolve(this.#attemptsSync(id));
  }

  entry(id: string): Promise<QueueEntry | null> {
    return Promise.resolve(this.#entrySync(id));
  }

  dueGroups(now: Date, limit: number): Promise<{ messageId: string; domain: string }[]> {
    return Promise.resolve(this.#dueGroupsSync(now, limit));
  }

  nextDue(): Promise<Date | null> {
    return Promise.resolve(this.#nextDueSync());
  }

  list(limit = 10_000): Promise<QueueListRow[]> {
    return Promise.resolve(this.#listSync(limit));
  }

  countByStatus(): Promise<Record<RecipientStatus, number>> {
    return Promise.resolve(this.#countByStatusSync());
  }

  finishedMessageIds(): Promise<string[]> {
    return Promise.resolve(this.#finishedMessageIdsSync());
  }
}
