/**
 * SQLite implementation of `WebhookStore` (component "webhooks": tables `webhooks`,
 * `webhook_deliveries`, `webhook_attempts`), and `insertMessageOutbox`, which the message store
 * calls inside its delivery transaction so the outbox rows commit with the message.
 *
 * @module
 */
import type { AccountId } from "../../types.ts";
import type {
  AttemptOutcome,
  MessageOutboxEntry,
  NewWebhookDelivery,
  WebhookAttempt,
  WebhookDelivery,
  WebhookDeliveryStatus,
  WebhookEvent,
  WebhookPatch,
  WebhookRecord,
  WebhookScopeKind,
  WebhookStore,
} from "../../records/webhooks.ts";
import type { Database } from "../database.ts";

/** Applies the "webhooks" migrations. */
export function migrateWebhooks(db: Database): void {
  db.applyMigrations("webhooks", [{
    version: 1,
    sql: `CREATE TABLE webhooks (
      id TEXT PRIMARY KEY,
      scope_kind TEXT NOT NULL,
      scope TEXT NOT NULL,
      url TEXT NOT NULL,
      events TEXT NOT NULL,
      secret TEXT NOT NULL,
      enabled INTEGER NOT NULL,
      failures INTEGER NOT NULL DEFAULT 0,
      paused_until INTEGER,
      created INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE webhook_deliveries (
      id TEXT PRIMARY KEY,
      webhook_id TEXT NOT NULL,
      event TEXT NOT NULL,
      account_id TEXT,
      message_id TEXT,
      data TEXT NOT NULL,
      status TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      last_status_code INTEGER,
      last_error TEXT,
      last_latency_ms INTEGER,
      completed_at INTEGER
    ) STRICT;
    CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status = 'pending';
    CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries(webhook_id, created_at);
    CREATE TABLE webhook_attempts (
      delivery_id TEXT NOT NULL,
      attempt INTEGER NOT NULL,
      at INTEGER NOT NULL,
      status_code INTEGER,
      latency_ms INTEGER NOT NULL,
      error TEXT,
      PRIMARY KEY (delivery_id, attempt)
    ) STRICT;`,
  }, {
    version: 2,
    // Each webhook's pending rows in due order: `due` takes the first few of each endpoint and
    // `nextDue` the first, by index seeks instead of a scan of the whole backlog.
    sql: `CREATE INDEX webhook_deliveries_pending
      ON webhook_deliveries(webhook_id, next_attempt_at, created_at, id) WHERE status = 'pending';`,
  }]);
}

/**
 * Writes a message's outbox rows; call inside the transaction that inserts the message, so both
 * commit (or roll back) together.
 */
export function insertMessageOutbox(
  db: Database,
  entries: readonly MessageOutboxEntry[],
  accountId: AccountId,
  messageId: string,
  uids: { mailboxId: string; uid: number; uidValidity: number }[],
): void {
  for (const e of entries) {
    const data = JSON.stringify({ ...e.context, uids });
    db.run(
      "INSERT INTO webhook_deliveries (id, webhook_id, event, account_id, message_id, data, status, " +
        "next_attempt_at, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
      e.id,
      e.webhookId,
      e.event,
      accountId,
      messageId,
      data,
      e.createdAt.getTime(),
      e.createdAt.getTime(),
      e.expiresAt.getTime(),
    );
  }
}

interface HookRow {
  id: string;
  scope_kind: string;
  scope: string;
  url: string;
  events: string;
  secret: string;
  enabled: number;
  failures: number;
  paused_until: number | null;
  created: number;
}

interface DeliveryRow {
  id: string;
  webhook_id: string;
  event: string;
  account_id: string | null;
  message_id: string | null;
  data: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  created_at: number;
  expires_at: number;
  last_status_code: number | null;
  last_error: string | null;
  last_latency_ms: number | null;
  completed_at: number | null;
}

interface AttemptRow {
  delivery_id: string;
  attempt: number;
  at: number;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
}

function toHook(r: HookRow): WebhookRecord {
  return {
    id: r.id,
    scopeKind: r.scope_kind as WebhookScopeKind,
    scope: r.scope,
    url: r.url,
    events: JSON.parse(r.events) as WebhookEvent[],
    secret: r.secret,
    enabled: r.enabled === 1,
    failures: r.failures,
    pausedUntil: r.paused_until === null ? null : new Date(r.paused_until),
    created: new Date(r.created),
  };
}

function toDelivery(r: DeliveryRow): WebhookDelivery {
  return {
    id: r.id,
    webhookId: r.webhook_id,
    event: r.event as WebhookEvent,
    accountId: r.account_id,
    messageId: r.message_id,
    data: r.data,
    status: r.status as WebhookDeliveryStatus,
    attempts: r.attempts,
    nextAttemptAt: new Date(r.next_attempt_at),
    createdAt: new Date(r.created_at),
    expiresAt: new Date(r.expires_at),
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    lastLatencyMs: r.last_latency_ms,
    completedAt: r.completed_at === null ? null : new Date(r.completed_at),
  };
}

/** Webhooks in the store database. */
export class SqliteWebhookStore implements WebhookStore {
  readonly #db: Database;
  readonly #write: (<T>(fn: () => T) => Promise<T>) | null;

  /**
   * @param db the store database, "webhooks" schema applied
   * @param write runs a write in the store's group commit (one fsync, off the event loop, for
   *   every write of an event-loop turn: the worker records many attempts); without it each write
   *   is its own transaction
   */
  constructor(db: Database, write?: <T>(fn: () => T) => Promise<T>) {
    this.#db = db;
    this.#write = write ?? null;
  }

  /** Runs a write atomically and durably. */
  #tx<T>(fn: () => T): Promise<T> {
    if (this.#write) return this.#write(() => this.#db.transaction(fn));
    try {
      return Promise.resolve(this.#db.transaction(fn));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  async create(w: WebhookRecord): Promise<void> {
    await this.#tx(() =>
      this.#db.run(
        "INSERT INTO webhooks (id, scope_kind, scope, url, events, secret, enabled, failures, paused_until, created) " +
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        w.id,
        w.scopeKind,
        w.scope,
        w.url,
        JSON.stringify(w.events),
        w.secret,
        w.enabled ? 1 : 0,
        w.failures,
        w.pausedUntil?.getTime() ?? null,
        w.created.getTime(),
      )
    );
  }

  get(id: string): Promise<WebhookRecord | null> {
    const row = this.#db.get<HookRow>("SELECT * FROM webhooks WHERE id = ?", id);
    return Promise.resolve(row ? toHook(row) : null);
  }

  list(): Promise<WebhookRecord[]> {
    return Promise.resolve(this.#db.all<HookRow>("SELECT * FROM webhooks ORDER BY created, id").map(toHook));
  }

  update(id: string, patch: WebhookPatch): Promise<WebhookRecord | null> {
    return this.#tx(() => {
      const row = this.#db.get<HookRow>("SELECT * FROM webhooks WHERE id = ?", id);
      if (!row) return null;
      const next: WebhookRecord = { ...toHook(row), ...patch };
      this.#db.run(
        "UPDATE webhooks SET url = ?, events = ?, secret = ?, enabled = ?, failures = ?, paused_until = ? WHERE id = ?",
        next.url,
        JSON.stringify(next.events),
        next.secret,
        next.enabled ? 1 : 0,
        next.failures,
        next.pausedUntil?.getTime() ?? null,
        id,
      );
      return next;
    });
  }

  delete(id: string): Promise<boolean> {
    return this.#tx(() => {
      this.#db.run(
        "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE webhook_id = ?)",
        id,
      );
      this.#db.run("DELETE FROM webhook_deliveries WHERE webhook_id = ?", id);
      return this.#db.run("DELETE FROM webhooks WHERE id = ?", id).changes > 0;
    });
  }

  async enqueue(deliveries: NewWebhookDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.#tx(() => {
      for (const d of deliveries) {
        this.#db.run(
          "INSERT INTO webhook_deliveries (id, webhook_id, event, account_id, message_id, data, status, " +
            "next_attempt_at, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
          d.id,
          d.webhookId,
          d.event,
          d.accountId,
          d.messageId,
          d.data,
          d.createdAt.getTime(),
          d.createdAt.getTime(),
          d.expiresAt.getTime(),
        );
      }
    });
  }

  getDelivery(id: string): Promise<WebhookDelivery | null> {
    const row = this.#db.get<DeliveryRow>("SELECT * FROM webhook_deliveries WHERE id = ?", id);
    return Promise.resolve(row ? toDelivery(row) : null);
  }

  due(now: Date, limit: number, perWebhook?: number): Promise<WebhookDelivery[]> {
    const t = now.getTime();
    // The endpoints that may be sent to now (few), then each one's first due rows by an index
    // seek (webhook_deliveries_pending), merged in due order.
    const hooks = this.#db.all<{ id: string }>(
      "SELECT id FROM webhooks WHERE enabled = 1 AND (paused_until IS NULL OR paused_until <= ?)",
      t,
    );
    const each = Math.min(perWebhook ?? limit, limit);
    const rows: DeliveryRow[] = [];
    for (const h of hooks) {
      rows.push(...this.#db.all<DeliveryRow>(
        "SELECT * FROM webhook_deliveries WHERE webhook_id = ? AND status = 'pending' AND next_attempt_at <= ? " +
          "ORDER BY next_attempt_at, created_at, id LIMIT ?",
        h.id,
        t,
        each,
      ));
    }
    rows.sort((a, b) =>
      a.next_attempt_at - b.next_attempt_at || a.created_at - b.created_at ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
    );
    return Promise.resolve(rows.slice(0, limit).map(toDelivery));
  }

  nextDue(): Promise<Date | null> {
    // max() of a NULL (no pending row) is NULL, which min() skips.
    const row = this.#db.get<{ t: number | null }>(
      `SELECT min(max(
         (SELECT min(p.next_attempt_at) FROM webhook_deliveries p WHERE p.webhook_id = w.id AND p.status = 'pending'),
         coalesce(w.paused_until, 0))) AS t
       FROM webhooks w WHERE w.enabled = 1`,
    );
    return Promise.resolve(row?.t == null ? null : new Date(row.t));
  }

  expire(now: Date): Promise<number> {
    const t = now.getTime();
    return this.#tx(() =>
      Number(
        this.#db.run(
          "UPDATE webhook_deliveries SET status = 'failed', last_error = 'expired', completed_at = ? " +
            "WHERE status = 'pending' AND expires_at <= ?",
          t,
          t,
        ).changes,
      )
    );
  }

  async recordAttempt(a: WebhookAttempt, outcome: AttemptOutcome): Promise<void> {
    await this.#tx(() => {
      this.#db.run(
        "INSERT OR REPLACE INTO webhook_attempts (delivery_id, attempt, at, status_code, latency_ms, error) " +
          "VALUES (?, ?, ?, ?, ?, ?)",
        a.deliveryId,
        a.attempt,
        a.at.getTime(),
        a.statusCode,
        a.latencyMs,
        a.error,
      );
      this.#db.run(
        "UPDATE webhook_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_status_code = ?, " +
          "last_error = ?, last_latency_ms = ?, completed_at = ? WHERE id = ?",
        outcome.status,
        a.attempt,
        outcome.status === "pending" ? outcome.nextAttemptAt.getTime() : a.at.getTime(),
        a.statusCode,
        a.error,
        a.latencyMs,
        outcome.status === "pending" ? null : a.at.getTime(),
        a.deliveryId,
      );
    });
  }

  deliveries(
    webhookId: string,
    opts: { status?: WebhookDeliveryStatus; limit?: number } = {},
  ): Promise<WebhookDelivery[]> {
    const limit = opts.limit ?? 100;
    const rows = opts.status
      ? this.#db.all<DeliveryRow>(
        "SELECT * FROM webhook_deliveries WHERE webhook_id = ? AND status = ? " +
          "ORDER BY created_at DESC, id DESC LIMIT ?",
        webhookId,
        opts.status,
        limit,
      )
      : this.#db.all<DeliveryRow>(
        "SELECT * FROM webhook_deliveries WHERE webhook_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
        webhookId,
        limit,
      );
    return Promise.resolve(rows.map(toDelivery));
  }

  attempts(deliveryId: string): Promise<WebhookAttempt[]> {
    const rows = this.#db.all<AttemptRow>(
      "SELECT * FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt",
      deliveryId,
    );
    return Promise.resolve(rows.map((r) => ({
      deliveryId: r.delivery_id,
      attempt: r.attempt,
      at: new Date(r.at),
      statusCode: r.status_code,
      latencyMs: r.latency_ms,
      error: r.error,
    })));
  }

  replay(deliveryId: string, now: Date, expiresAt: Date): Promise<WebhookDelivery | null> {
    return this.#tx(() => {
      const changed = this.#db.run(
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?, expires_at = ?, " +
          "completed_at = NULL WHERE id = ?",
        now.getTime(),
        expiresAt.getTime(),
        deliveryId,
      ).changes;
      if (changed === 0) return null;
      return toDelivery(
        this.#db.get<DeliveryRow>("SELECT * FROM webhook_deliveries WHERE id = ?", deliveryId)!,
      );
    });
  }

  prune(before: Date): Promise<number> {
    return this.#tx(() => {
      const t = before.getTime();
      this.#db.run(
        "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries " +
          "WHERE status != 'pending' AND completed_at < ?)",
        t,
      );
      return Number(
        this.#db.run("DELETE FROM webhook_deliveries WHERE status != 'pending' AND completed_at < ?", t)
          .changes,
      );
    });
  }
}
