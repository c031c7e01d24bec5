/**
 * Webhooks, their outbox and delivery log on PostgreSQL (core/webhooks). The outbox rows of a
 * delivered message are written by the message store in the message's own transaction
 * (`insertMessageOutbox`), so a committed message always has its events queued. The
 * statements are the shared ones (core/store/records/sql/webhooks.ts) but for the due deliveries.
 *
 * @module
 */
import type { AccountId } from "../../types.ts";
import type { MessageOutboxEntry, WebhookDelivery } from "../../records/webhooks.ts";
import { all, get } from "../../records/sql/db.ts";
import { type DeliveryRow, insertOutbox, SqlWebhookStore, toDelivery } from "../../records/sql/webhooks.ts";
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
  await new PgDb(tx, true).write(insertOutbox(entries, accountId, messageId, uids));
}

/** Webhooks, outbox and log. */
export class PgWebhookStore extends SqlWebhookStore {
  /** @param db the pool */
  constructor(db: PgDb) {
    super(db);
  }

  /** Pending deliveries due at `now` of enabled, unpaused endpoints, at most `perWebhook` each. */
  async due(now: Date, limit: number, perWebhook?: number): Promise<WebhookDelivery[]> {
    const t = now.getTime();
    return (await this.db.read(all<DeliveryRow>(
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
    ))).map(toDelivery);
  }

  /** When the next pending delivery is due (a paused endpoint's after its pause), or null. */
  async nextDue(): Promise<Date | null> {
    const row = await this.db.read(get<{ t: number | null }>(
      `SELECT min(greatest(d.next_attempt_at, coalesce(w.paused_until, 0))) AS t
       FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
       WHERE d.status = 'pending' AND w.enabled = 1`,
    ));
    return row?.t == null ? null : new Date(row.t);
  }
}
