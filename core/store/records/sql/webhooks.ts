/**
 * `WebhookStore` in SQL, shared by SQLite and PostgreSQL (tables `webhooks`, `webhook_deliveries`,
 * `webhook_attempts`; each backend keeps its schema). Which deliveries are due is a question of
 * query plans, so each backend answers `due` and `nextDue` itself.
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
} from "../webhooks.ts";
import { all, type Dialect, get, type Op, type RecordDb, run } from "./db.ts";

/** A `webhooks` row. */
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

/** A `webhook_deliveries` row. */
export interface DeliveryRow {
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

/** A `webhook_attempts` row. */
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

/** A delivery from its row. */
export function toDelivery(r: DeliveryRow): WebhookDelivery {
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

/** Adds one pending delivery, due at its creation. */
function insertDelivery(d: NewWebhookDelivery): Op<number> {
  return run(
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

/**
 * Writes a message's outbox rows, the UIDs added to each row's `data`; run inside the transaction
 * that inserts the message, so both commit (or roll back) together.
 */
export function* insertOutbox(
  entries: readonly MessageOutboxEntry[],
  accountId: AccountId,
  messageId: string,
  uids: { mailboxId: string; uid: number; uidValidity: number }[],
): Op<void> {
  for (const e of entries) {
    yield* insertDelivery({ ...e, accountId, messageId, data: JSON.stringify({ ...e.context, uids }) });
  }
}

function* update(d: Dialect, id: string, patch: WebhookPatch): Op<WebhookRecord | null> {
  const row = yield* get<HookRow>(`SELECT * FROM webhooks WHERE id = ?${d.forUpdate}`, id);
  if (!row) return null;
  const next: WebhookRecord = { ...toHook(row), ...patch };
  yield* run(
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
}

function* remove(id: string): Op<boolean> {
  yield* run(
    "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE webhook_id = ?)",
    id,
  );
  yield* run("DELETE FROM webhook_deliveries WHERE webhook_id = ?", id);
  return (yield* run("DELETE FROM webhooks WHERE id = ?", id)) > 0;
}

function* enqueue(deliveries: NewWebhookDelivery[]): Op<void> {
  for (const d of deliveries) yield* insertDelivery(d);
}

function* recordAttempt(a: WebhookAttempt, outcome: AttemptOutcome): Op<void> {
  yield* run(
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
  yield* run(
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
}

function* replay(deliveryId: string, now: Date, expiresAt: Date): Op<WebhookDelivery | null> {
  const changed = yield* run(
    "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ?, expires_at = ?, " +
      "completed_at = NULL WHERE id = ?",
    now.getTime(),
    expiresAt.getTime(),
    deliveryId,
  );
  if (changed === 0) return null;
  return toDelivery((yield* get<DeliveryRow>("SELECT * FROM webhook_deliveries WHERE id = ?", deliveryId))!);
}

function* prune(before: Date): Op<number> {
  const t = before.getTime();
  yield* run(
    "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries " +
      "WHERE status <> 'pending' AND completed_at < ?)",
    t,
  );
  return yield* run("DELETE FROM webhook_deliveries WHERE status <> 'pending' AND completed_at < ?", t);
}

/** Webhooks, outbox and log over either backend; `due` and `nextDue` are the backend's. */
export abstract class SqlWebhookStore implements WebhookStore {
  /** @param db the backend, its "webhooks" schema applied */
  constructor(protected readonly db: RecordDb) {}

  /** Adds an endpoint. */
  async create(w: WebhookRecord): Promise<void> {
    await this.db.write(run(
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
    ));
  }

  /** One endpoint, or null. */
  async get(id: string): Promise<WebhookRecord | null> {
    const row = await this.db.read(get<HookRow>("SELECT * FROM webhooks WHERE id = ?", id));
    return row ? toHook(row) : null;
  }

  /** Every endpoint, oldest first. */
  async list(): Promise<WebhookRecord[]> {
    const b = this.db.dialect.bytes;
    return (await this.db.read(all<HookRow>(`SELECT * FROM webhooks ORDER BY created, id${b}`))).map(toHook);
  }

  /** Patches an endpoint; null when unknown. */
  update(id: string, patch: WebhookPatch): Promise<WebhookRecord | null> {
    return this.db.atomic(update(this.db.dialect, id, patch));
  }

  /** Deletes an endpoint with its deliveries and attempts. */
  delete(id: string): Promise<boolean> {
    return this.db.atomic(remove(id));
  }

  /** Queues deliveries. */
  async enqueue(deliveries: NewWebhookDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.db.atomic(enqueue(deliveries));
  }

  /** One delivery, or null. */
  async getDelivery(id: string): Promise<WebhookDelivery | null> {
    const row = await this.db.read(get<DeliveryRow>("SELECT * FROM webhook_deliveries WHERE id = ?", id));
    return row ? toDelivery(row) : null;
  }

  /** Pending deliveries due at `now` of enabled, unpaused endpoints, at most `perWebhook` each. */
  abstract due(now: Date, limit: number, perWebhook?: number): Promise<WebhookDelivery[]>;

  /** When the next pending delivery is due (a paused endpoint's after its pause), or null. */
  abstract nextDue(): Promise<Date | null>;

  /** Fails pending deliveries past their expiry; returns how many. */
  expire(now: Date): Promise<number> {
    const t = now.getTime();
    return this.db.write(run(
      "UPDATE webhook_deliveries SET status = 'failed', last_error = 'expired', completed_at = ? " +
        "WHERE status = 'pending' AND expires_at <= ?",
      t,
      t,
    ));
  }

  /** Records an attempt and its outcome. */
  async recordAttempt(a: WebhookAttempt, outcome: AttemptOutcome): Promise<void> {
    await this.db.atomic(recordAttempt(a, outcome));
  }

  /** An endpoint's deliveries, newest first. */
  async deliveries(
    webhookId: string,
    opts: { status?: WebhookDeliveryStatus; limit?: number } = {},
  ): Promise<WebhookDelivery[]> {
    const limit = opts.limit ?? 100;
    const order = `ORDER BY created_at DESC, id${this.db.dialect.bytes} DESC LIMIT ?`;
    const rows = await this.db.read(
      opts.status
        ? all<DeliveryRow>(
          `SELECT * FROM webhook_deliveries WHERE webhook_id = ? AND status = ? ${order}`,
          webhookId,
          opts.status,
          limit,
        )
        : all<DeliveryRow>(
          `SELECT * FROM webhook_deliveries WHERE webhook_id = ? ${order}`,
          webhookId,
          limit,
        ),
    );
    return rows.map(toDelivery);
  }

  /** A delivery's attempts in order. */
  async attempts(deliveryId: string): Promise<WebhookAttempt[]> {
    const rows = await this.db.read(
      all<AttemptRow>("SELECT * FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt", deliveryId),
    );
    return rows.map((r) => ({
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
    return this.db.atomic(replay(deliveryId, now, expiresAt));
  }

  /** Drops finished deliveries completed before `before` (and their attempts); returns how many. */
  prune(before: Date): Promise<number> {
    return this.db.atomic(prune(before));
  }
}
