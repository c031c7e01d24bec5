/**
 * Webhooks, their outbox and delivery log on PostgreSQL (core/webhooks). The outbox rows of a
 * delivered message are written by the message store in the message's own transaction
 * (`insertMessageOutbox`), so a committed message always has its events queued. Semantics as
 * core/store/sqlite/records/webhooks.ts.
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
import type { PgMigration } from "../migrations.ts";
import { PgDb } from "./db.ts";
import type { Tx } from "../connection.ts";

/** Migration component of the webhook tables. */
export const WEBHOOKS_COMPONENT = "webhooks";

/** The webhook tables. */
export const WEBHOOKS_MIGRATIONS: PgMigration[] = [{
  version: 1,
  sql: `
CREATE TABLE webhooks (
  id TEXT PRIMARY KEY,
  scope_kind TEXT NOT NULL,
  scope TEXT NOT NULL,
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  secret TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  failures INTEGER NOT NULL DEFAULT 0,
  paused_until BIGINT,
  created BIGINT NOT NULL
);
CREATE TABLE webhook_deliveries (
  id TEXT PRIMARY KEY,
  webhook_id TEXT NOT NULL,
  event TEXT NOT NULL,
  account_id TEXT,
  message_id TEXT,
  data TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  last_status_code INTEGER,
  last_error TEXT,
  last_latency_ms BIGINT,
  completed_at BIGINT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries(webhook_id, created_at);
CREATE TABLE webhook_attempts (
  delivery_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  at BIGINT NOT NULL,
  status_code INTEGER,
  latency_ms BIGINT NOT NULL,
  error TEXT,
  PRIMARY KEY (delivery_id, attempt)
);
`,
}];

/** Writes a message's outbox rows inside the message's transaction, UIDs added to `data`. */
export async function insertMessageOutbox(
  tx: Tx,
  entries: readonly MessageOutboxEntry[],
  accountId: AccountId,
  messageId: string,
  uids: { mailboxId: string; uid: number; uidValidity: number }[],
): Promise<void> {
  const db = new PgDb(tx, true);
  for (const e of entries) {
    await db.run(
      "INSERT INTO webhook_deliveries (id, webhook_id, event, account_id, message_id, data, status, " +
        "next_attempt_at, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
      e.id,
      e.webhookId,
      e.event,
      accountId,
      messageId,
      JSON.stringify({ ...e.context, uids }),
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

/** Webhooks, outbox and log. */
export class PgWebhookStore implements WebhookStore {
  /** @param db the pool */
  constructor(readonly db: PgDb) {}

  /** Adds an endpoint. */
  async create(w: WebhookRecord): Promise<void> {
    await this.db.run(
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
    );
  }

  /** One endpoint, or null. */
  async get(id: string): Promise<WebhookRecord | null> {
    const row = await this.db.get<HookRow>("SELECT * FROM webhooks WHERE id = ?", id);
    return row ? toHook(row) : null;
  }

  /** Every endpoint, oldest first. */
  async list(): Promise<WebhookRecord[]> {
    return (await this.db.all<HookRow>('SELECT * FROM webhooks ORDER BY created, id COLLATE "C"')).map(
      toHook,
    );
  }

  /** Patches an endpoint; null when unknown. */
  update(id: string, patch: WebhookPatch): Promise<WebhookRecord | null> {
    return this.db.transaction(async (db) => {
      const row = await db.get<HookRow>("SELECT * FROM webhooks WHERE id = ? FOR UPDATE", id);
      if (!row) return null;
      const next: WebhookRecord = { ...toHook(row), ...patch };
      await db.run(
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

  /** Deletes an endpoint with its deliveries and attempts. */
  delete(id: string): Promise<boolean> {
    return this.db.transaction(async (db) => {
      await db.run(
        "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE webhook_id = ?)",
        id,
      );
      await db.run("DELETE FROM webhook_deliveries WHERE webhook_id = ?", id);
      return (await db.run("DELETE FROM webhooks WHERE id = ?", id)).changes > 0;
    });
  }

  /** Queues deliveries. */
  async enqueue(deliveries: NewWebhookDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.db.transaction(async (db) => {
      for (const d of deliveries) {
        await db.run(
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

  /** One delivery, or null. */
  async getDelivery(id: string): Promise<WebhookDelivery | null> {
    const row = await this.db.get<DeliveryRow>("SELECT * FROM webhook_deliveries WHERE id = ?", id);
    return row ? toDelivery(row) : null;
  }

  /** Pending deliveries due at `now` of enabled, unpaused endpoints, at most `perWebhook` each. */
  async due(now: Date, limit: number, perWebhook?: number): Promise<WebhookDelivery[]> {
    const t = now.getTime();
    return (await this.db.all<DeliveryRow>(
      `SELECT * FROM (
         SELECT d.*, row_number() OVER (PARTITION BY d.webhook_id
           ORDER BY d.next_attempt_at, d.created_at, d.id COLLATE "C") AS rn
         FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
         WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND w.enabled = 1
           AND (w.paused_until IS NULL OR w.paused_until <= ?)
       ) x WHERE rn <= ? ORDER BY next_attempt_at, created_at, id COLLATE "C" LIMIT ?`,
      t,
      t,
      perWebhook ?? Number.MAX_SAFE_INTEGER,
      limit,
    )).map(toDelivery);
  }

  /** When the next pending delivery is due (a paused endpoint's after its pause), or null. */
  async nextDue(): Promise<Date | null> {
    const row = await this.db.get<{ t: number | null }>(
      `SELECT min(greatest(d.next_attempt_at, coalesce(w.paused_until, 0))) AS t
       FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
       WHERE d.status = 'pending' AND w.enabled = 1`,
    );
    return row?.t == null ? null : new Date(row.t);
  }

  /** Fails pending deliveries past their expiry; returns how many. */
  async expire(now: Date): Promise<number> {
    const t = now.getTime();
    return (await this.db.run(
      "UPDATE webhook_deliveries SET status = 'failed', last_error = 'expired', completed_at = ? " +
        "WHERE status = 'pending' AND expires_at <= ?",
      t,
      t,
    )).changes;
  }

  /** Records an attempt and its outcome. */
  async recordAttempt(a: WebhookAttempt, outcome: AttemptOutcome): Promise<void> {
    await this.db.transaction(async (db) => {
      await db.run(
        "INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, latency_ms, error) " +
          "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (delivery_id, attempt) DO UPDATE SET at = excluded.at, " +
          "status_code = excluded.status_code, latency_ms = excluded.latency_ms, error = excluded.error",
        a.deliveryId,
        a.attempt,
        a.at.getTime(),
        a.statusCode,
        a.latencyMs,
        a.error,
      );
      await db.run(
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

  /** An endpoint's deliveries, newest first. */
  async deliveries(
    webhookId: string,
    opts: { status?: WebhookDeliveryStatus; limit?: number } = {},
  ): Promise<WebhookDelivery[]> {
    const limit = opts.limit ?? 100;
    const rows = opts.status
      ? await this.db.all<DeliveryRow>(
        "SELECT * FROM webhook_deliveries WHERE webhook_id = ? AND status = ? " +
          'ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT ?',
        webhookId,
        opts.status,
        limit,
      )
      : await this.db.all<DeliveryRow>(
        'SELECT * FROM webhook_deliveries WHERE webhook_id = ? ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT ?',
        webhookId,
        limit,
      );
    return rows.map(toDelivery);
  }

  /** A delivery's attempts in order. */
  async attempts(deliveryId: string): Promise<WebhookAttempt[]> {
    return (await this.db.all<AttemptRow>(
      "SELECT * FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt",
      deliveryId,
    )).map((r) => ({
      deliveryId: r.delivery_id,
      attempt: r.attempt,
      at: new Date(r.at),
      statusCode: r.status_code,
      latencyMs: r.latency_ms,
      error: r.error,
    }));
  }

  /** Makes a delivery pending again; null when unknown. */
  replay(deliveryId: string, now: Date, expiresAt: Date): Promise<WebhookDelivery | null> {
    return this.db.transaction(async (db) => {
      const changed = (await db.run(
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?, expires_at = ?, " +
          "completed_at = NULL WHERE id = ?",
        now.getTime(),
        expiresAt.getTime(),
        deliveryId,
      )).changes;
      if (changed === 0) return null;
      return toDelivery(
        (await db.get<DeliveryRow>("SELECT * FROM webhook_deliveries WHERE id = ?", deliveryId))!,
      );
    });
  }

  /** Drops finished deliveries completed before `before` (and their attempts); returns how many. */
  prune(before: Date): Promise<number> {
    return this.db.transaction(async (db) => {
      const t = before.getTime();
      await db.run(
        "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries " +
          "WHERE status <> 'pending' AND completed_at < ?)",
        t,
      );
      return (await db.run(
        "DELETE FROM webhook_deliveries WHERE status <> 'pending' AND completed_at < ?",
        t,
      ))
        .changes;
    });
  }
}
