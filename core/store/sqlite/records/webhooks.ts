/**
 * SQLite implementation of `WebhookStore` (component "webhooks": tables `webhooks`,
 * `webhook_deliveries`, `webhook_attempts`), and `insertMessageOutbox`, which the message store
 * calls inside its delivery transaction so the outbox rows commit with the message. The statements
 * are the shared ones (core/store/records/sql/webhooks.ts) but for the due deliveries.
 *
 * @module
 */
import type { AccountId } from "../../types.ts";
import type { MessageOutboxEntry, WebhookDelivery } from "../../records/webhooks.ts";
import { all, get, type Op } from "../../records/sql/db.ts";
import { type DeliveryRow, insertOutbox, SqlWebhookStore, toDelivery } from "../../records/sql/webhooks.ts";
import type { Database } from "../database.ts";
import { runSync, SqliteRecordDb } from "./db.ts";

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
  runSync(db, insertOutbox(entries, accountId, messageId, uids));
}

/**
 * The endpoints that may be sent to now (few), then each one's first due rows by an index seek
 * (webhook_deliveries_pending), merged in due order.
 */
function* due(now: Date, limit: number, perWebhook?: number): Op<WebhookDelivery[]> {
  const t = now.getTime();
  const hooks = yield* all<{ id: string }>(
    "SELECT id FROM webhooks WHERE enabled = 1 AND (paused_until IS NULL OR paused_until <= ?)",
    t,
  );
  const each = Math.min(perWebhook ?? limit, limit);
  const rows: DeliveryRow[] = [];
  for (const h of hooks) {
    rows.push(
      ...yield* all<DeliveryRow>(
        "SELECT * FROM webhook_deliveries WHERE webhook_id = ? AND status = 'pending' AND next_attempt_at <= ? " +
          "ORDER BY next_attempt_at, created_at, id LIMIT ?",
        h.id,
        t,
        each,
      ),
    );
  }
  rows.sort((a, b) =>
    a.next_attempt_at - b.next_attempt_at || a.created_at - b.created_at ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
  return rows.slice(0, limit).map(toDelivery);
}

/** Webhooks in the store database. */
export class SqliteWebhookStore extends SqlWebhookStore {
  /**
   * @param db the store database, "webhooks" schema applied
   * @param write runs a write in the store's group commit (one fsync, off the event loop, for
   *   every write of an event-loop turn: the worker records many attempts); without it each write
   *   is its own transaction
   */
  constructor(db: Database, write?: <T>(fn: () => T) => Promise<T>) {
    super(new SqliteRecordDb(db, write));
  }

  /** Pending deliveries due at `now` of enabled, unpaused endpoints, at most `perWebhook` each. */
  due(now: Date, limit: number, perWebhook?: number): Promise<WebhookDelivery[]> {
    return this.db.read(due(now, limit, perWebhook));
  }

  /** When the next pending delivery is due (a paused endpoint's after its pause), or null. */
  async nextDue(): Promise<Date | null> {
    // max() of a NULL (no pending row) is NULL, which min() skips.
    const row = await this.db.read(get<{ t: number | null }>(
      `SELECT min(max(
         (SELECT min(p.next_attempt_at) FROM webhook_deliveries p WHERE p.webhook_id = w.id AND p.status = 'pending'),
         coalesce(w.paused_until, 0))) AS t
       FROM webhooks w WHERE w.enabled = 1`,
    ));
    return row?.t == null ? null : new Date(row.t);
  }
}
