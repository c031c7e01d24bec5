/**
 * Webhook records (`Store.webhooks`, core/webhooks): the endpoints (per address, domain or
 * organization, or the whole installation for admin notifications), their circuit-breaker state,
 * the outbox of deliveries (one row per event and endpoint, pending until delivered, failed, or
 * expired) and the attempt log behind the API's delivery log and replay.
 *
 * Outbox rows of `message.received` / `message.bounced` are written by the message store in the
 * same commit as the message (`NewMessage.outbox`, core/store/types.ts), so a delivered message
 * never lacks its webhook call after a crash; other events are added with `enqueue`.
 *
 * @module
 */
import type { AccountId, MessageOutboxEntry, WebhookEvent } from "../types.ts";
import { WEBHOOK_EVENTS } from "../types.ts";

// The event names and the outbox entry live with `NewMessage` (core/store/types.ts), which carries them.
export { WEBHOOK_EVENTS };
export type { MessageOutboxEntry, WebhookEvent };

/** What a webhook is attached to. `system` receives installation-wide (admin) notifications. */
export type WebhookScopeKind = "address" | "domain" | "organization" | "system";

/** One endpoint as kept. */
export interface WebhookRecord {
  id: string;
  scopeKind: WebhookScopeKind;
  /** Lowercased address or domain, organization id, or "" for `system`. */
  scope: string;
  url: string;
  events: WebhookEvent[];
  /** Standard Webhooks secret, `whsec_` + base64 of the key bytes. */
  secret: string;
  enabled: boolean;
  /** Consecutive failed attempts (circuit breaker). */
  failures: number;
  /** While set and in the future the circuit is open: only a probe may be sent after it. */
  pausedUntil: Date | null;
  created: Date;
}

/** What `update` may change. */
export interface WebhookPatch {
  url?: string;
  events?: WebhookEvent[];
  secret?: string;
  enabled?: boolean;
  failures?: number;
  pausedUntil?: Date | null;
}

/** A delivery's state. */
export type WebhookDeliveryStatus = "pending" | "delivered" | "failed";

/** A row of the outbox / delivery log. */
export interface WebhookDelivery {
  /** Also the Standard Webhooks `webhook-id` (the same on every retry). */
  id: string;
  webhookId: string;
  event: WebhookEvent;
  /** The account the event is about (null for installation-wide events). */
  accountId: AccountId | null;
  /** The stored message (message events), whose payload is built when sent. */
  messageId: string | null;
  /** Event data as JSON: the whole `data` of non-message events, extra context of message events. */
  data: string;
  status: WebhookDeliveryStatus;
  /** Attempts made so far. */
  attempts: number;
  nextAttemptAt: Date;
  createdAt: Date;
  /** After this no retry is made; the delivery becomes failed. */
  expiresAt: Date;
  lastStatusCode: number | null;
  lastError: string | null;
  lastLatencyMs: number | null;
  completedAt: Date | null;
}

/** A delivery to add (its id chosen by the caller). */
export type NewWebhookDelivery = Pick<
  WebhookDelivery,
  "id" | "webhookId" | "event" | "accountId" | "messageId" | "data" | "createdAt" | "expiresAt"
>;

/** One attempt of a delivery (the delivery log). */
export interface WebhookAttempt {
  deliveryId: string;
  /** 1 for the first attempt. */
  attempt: number;
  at: Date;
  /** HTTP status, or null when no response came (refused, timeout, connection error). */
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
}

/** The outcome recorded with an attempt. */
export type AttemptOutcome =
  | { status: "delivered" }
  | { status: "failed" }
  | { status: "pending"; nextAttemptAt: Date };

/** Webhooks, their outbox and their log. */
export interface WebhookStore {
  /** Adds an endpoint (id chosen by the caller). */
  create(record: WebhookRecord): Promise<void>;
  get(id: string): Promise<WebhookRecord | null>;
  /** Every endpoint, oldest first. */
  list(): Promise<WebhookRecord[]>;
  /** Applies a patch; null when the webhook does not exist. */
  update(id: string, patch: WebhookPatch): Promise<WebhookRecord | null>;
  /** Removes an endpoint with its deliveries and log; false when it did not exist. */
  delete(id: string): Promise<boolean>;

  /** Adds deliveries (non-message events, replays), pending and due at `createdAt`. */
  enqueue(deliveries: NewWebhookDelivery[]): Promise<void>;
  getDelivery(id: string): Promise<WebhookDelivery | null>;
  /**
   * Pending deliveries due at `now` of enabled webhooks whose circuit is not open at `now` (no
   * `pausedUntil` after it), oldest due first, at most `perWebhook` per webhook (default no limit)
   * and `limit` in all, so one slow or paused endpoint does not hold back the others.
   */
  due(now: Date, limit: number, perWebhook?: number): Promise<WebhookDelivery[]>;
  /**
   * When the next pending delivery of an enabled webhook becomes due: its `nextAttemptAt`, or its
   * webhook's `pausedUntil` when that is later (null: none pending).
   */
  nextDue(): Promise<Date | null>;
  /**
   * Marks failed (error "expired") the pending deliveries whose expiry is at or before `now`
   * (those of disabled or paused webhooks, which no attempt reached); returns how many.
   */
  expire(now: Date): Promise<number>;
  /** Records an attempt and the delivery's new state in one commit. */
  recordAttempt(attempt: WebhookAttempt, outcome: AttemptOutcome): Promise<void>;
  /** A webhook's deliveries, newest first, optionally of one status, at most `limit`. */
  deliveries(
    webhookId: string,
    opts?: { status?: WebhookDeliveryStatus; limit?: number },
  ): Promise<WebhookDelivery[]>;
  /** The attempts of a delivery, first first. */
  attempts(deliveryId: string): Promise<WebhookAttempt[]>;
  /** Makes a delivery pending again, due at `now`, expiring at `expiresAt`; null when unknown. */
  replay(deliveryId: string, now: Date, expiresAt: Date): Promise<WebhookDelivery | null>;
  /** Removes delivered and failed deliveries completed before `before`, with their attempts. */
  prune(before: Date): Promise<number>;
}
