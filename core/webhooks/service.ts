/**
 * The webhook service of a running server: the delivery pipeline's outbox (which webhooks a
 * delivered message goes to, committed with it), the post-delivery hook that wakes the worker, the
 * events other modules emit (`delivery.failed`, `quota.warning`, notifications), replay, the test
 * send, payload building and the signed attachment links.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type { Config } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import type { Store } from "../store/store.ts";
import type { Account, AccountId } from "../store/types.ts";
import type {
  MessageOutboxEntry,
  NewWebhookDelivery,
  WebhookDelivery,
  WebhookEvent,
  WebhookRecord,
} from "../store/records/webhooks.ts";
import type { DeliveryOutbox, PostDeliveryHook } from "../delivery/pipeline.ts";
import type { MessageSource } from "../delivery/spool.ts";
import { outboundHttpClient } from "../net/outbound_http_config.ts";
import type { OutboundHttpClient } from "../net/outbound_http.ts";
import { parseHeaderBlock } from "../mime/header.ts";
import { AttachmentUrls, loadUrlKey } from "./attachment_urls.ts";
import { WebhookDirectory, type WebhookGate } from "./directory.ts";
import { eventPayload, messagePayload } from "./payload.ts";
import { parseDsn } from "./dsn_report.ts";
import { type WebhookSettings, webhookSettings } from "./settings.ts";
import { type AttemptResult, sendSigned, type WebhookHttp, WebhookWorker } from "./worker.ts";

/** Milliseconds an idle connection to a webhook endpoint is kept for the next delivery. */
const KEEP_ALIVE_MS = 4000;

/** What the service needs. */
export interface WebhookServiceDeps {
  config: Config;
  store: Store;
  clock: Clock;
  log: Logger;
  /** The HTTP client (default: the SSRF-guarded one built from `[outbound_http]`). */
  http?: WebhookHttp;
  /** The plan's `webhooks` feature per account (default: allowed). */
  gate?: WebhookGate;
}

/** A new delivery id (also the `webhook-id`). */
export function newDeliveryId(): string {
  return "msg_" + crypto.randomUUID().replaceAll("-", "");
}

/**
 * The events a delivered message raises: `message.received` always; for a delivery status
 * notification (RFC 3464) also `message.bounced`, and `delivery.failed` when a recipient failed.
 */
function messageEvents(message: MessageSource): WebhookEvent[] {
  const head = message.head();
  const block = parseHeaderBlock(head, 0, head.length, { top: true });
  const ct = block.fields.find((f) => f.key === "content-type")?.value ?? "";
  if (!/^\s*multipart\/report\b/i.test(ct) || !/report-type\s*=\s*"?delivery-status\b/i.test(ct)) {
    return ["message.received"];
  }
  const bytes = message.bytes();
  const report = bytes ? parseDsn(bytes) : null;
  return report?.recipients.some((r) => r.action === "failed")
    ? ["message.received", "message.bounced", "delivery.failed"]
    : ["message.received", "message.bounced"];
}

/** The webhook service. */
export class WebhookService {
  readonly settings: WebhookSettings;
  readonly directory: WebhookDirectory;
  readonly worker: WebhookWorker;
  readonly urls: AttachmentUrls;
  readonly #d: WebhookServiceDeps;
  readonly #http: WebhookHttp;
  readonly #client: OutboundHttpClient | null;

  private constructor(deps: WebhookServiceDeps, urls: AttachmentUrls) {
    this.#d = deps;
    this.settings = webhookSettings(deps.config);
    // Webhook endpoints get request after request: connections are kept for a few seconds.
    const client = deps.http ? null : outboundHttpClient(deps.config, { keepAliveMs: KEEP_ALIVE_MS });
    this.#client = client;
    this.#http = deps.http ?? ((req) => client!.request(req));
    this.directory = new WebhookDirectory(deps.store, deps.clock, deps.gate ?? (() => Promise.resolve(true)));
    this.urls = urls;
    this.worker = new WebhookWorker({
      store: deps.store,
      clock: deps.clock,
      log: deps.log,
      http: this.#http,
      settings: this.settings,
      payload: (d) => this.payloadOf(d),
    });
  }

  /** Creates the service (loads or creates the attachment-link key in `data_dir`). */
  static async create(deps: WebhookServiceDeps): Promise<WebhookService> {
    const settings = webhookSettings(deps.config);
    const key = await loadUrlKey(deps.config.data_dir);
    return new WebhookService(deps, new AttachmentUrls(key, settings.publicUrl, settings.attachmentUrlTtlMs));
  }

  /** Starts the worker (unless `[webhooks] enabled = false`). */
  start(): void {
    if (this.settings.enabled) this.worker.start();
  }

  /** Stops the worker, waiting for requests in flight, and closes the kept connections. */
  async stop(): Promise<void> {
    await this.worker.stop();
    this.#client?.close();
  }

  /** The pipeline's outbox: `message.received` (and `message.bounced` for DSNs) rows per account. */
  readonly outbox: DeliveryOutbox = async ({ recipients, envelope, message }) => {
    const rows = new Map<AccountId, MessageOutboxEntry[]>();
    // No webhook at all (the common case): nothing to look at on the delivery path.
    if ((await this.directory.all()).length === 0) return rows;
    const now = this.#d.clock.now();
    const expiresAt = new Date(now.getTime() + this.settings.lifetimeMs);
    const events = messageEvents(message);
    for (const { account, addresses } of recipients) {
      const list: MessageOutboxEntry[] = [];
      for (const event of events) {
        for (const hook of await this.directory.forAccount(account, event, addresses)) {
          list.push({
            id: newDeliveryId(),
            webhookId: hook.id,
            event,
            createdAt: now,
            expiresAt,
            context: { envelope: { from: envelope.from, to: addresses } },
          });
        }
      }
      if (list.length > 0) rows.set(account.id, list);
    }
    return rows;
  };

  /**
   * The post-delivery hook: the committed outbox rows are sent now, not at the next poll. With no
   * webhook at all the delivery wrote none (`outbox`), and the worker is left asleep: waking it ran
   * two queries of the delivery tables per message.
   */
  readonly hook: PostDeliveryHook = {
    name: "webhooks",
    run: async () => {
      if ((await this.directory.all()).length > 0) this.worker.wake();
    },
  };

  /**
   * Records an event about an account (`delivery.failed`, `quota.warning`, `notification`) for
   * every webhook subscribed to it; returns how many deliveries were queued.
   */
  async emit(
    account: Pick<Account, "id" | "address">,
    event: WebhookEvent,
    data: Record<string, unknown>,
  ): Promise<number> {
    return await this.#enqueue(await this.directory.forAccount(account, event), event, account.id, data);
  }

  /** Records an installation-wide event for the `system` webhooks (admin notifications). */
  async emitSystem(event: WebhookEvent, data: Record<string, unknown>): Promise<number> {
    return await this.#enqueue(await this.directory.forSystem(event), event, null, data);
  }

  async #enqueue(
    hooks: WebhookRecord[],
    event: WebhookEvent,
    accountId: AccountId | null,
    data: Record<string, unknown>,
  ): Promise<number> {
    if (hooks.length === 0) return 0;
    const now = this.#d.clock.now();
    const rows: NewWebhookDelivery[] = hooks.map((h) => ({
      id: newDeliveryId(),
      webhookId: h.id,
      event,
      accountId,
      messageId: null,
      data: JSON.stringify(data),
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.settings.lifetimeMs),
    }));
    await this.#d.store.webhooks.enqueue(rows);
    this.worker.wake();
    return rows.length;
  }

  /** Sends a delivery again (same `webhook-id`); null when unknown. */
  async replay(deliveryId: string): Promise<WebhookDelivery | null> {
    const now = this.#d.clock.now();
    const d = await this.#d.store.webhooks.replay(
      deliveryId,
      now,
      new Date(now.getTime() + this.settings.lifetimeMs),
    );
    if (d) this.worker.wake();
    return d;
  }

  /** Sends a signed `webhook.test` event to a webhook now (not through the outbox). */
  async test(hook: WebhookRecord): Promise<AttemptResult> {
    return await sendTest(this.#http, hook, this.#d.clock.now());
  }

  /** The JSON body of a delivery, built from the stored message for message events. */
  async payloadOf(d: WebhookDelivery): Promise<string | null> {
    const data = JSON.parse(d.data) as Record<string, unknown>;
    if (d.messageId === null || d.accountId === null) {
      return JSON.stringify(eventPayload(d.event, data, d.createdAt));
    }
    const { store, config } = this.#d;
    const account = await store.getAccount(d.accountId);
    if (!account) return null;
    const [message] = await store.getMessages(d.accountId, [d.messageId]);
    if (!message) return null;
    const raw = await store.readMessage(d.accountId, d.messageId);
    if (!raw) return null;
    if (d.event === "delivery.failed") {
      // A bounce delivered to the sender: what failed, from the DSN (RFC 3464).
      const report = parseDsn(raw);
      return JSON.stringify(eventPayload(d.event, {
        account: account.address,
        accountId: account.id,
        emailId: message.id,
        ...report,
        recipients: report?.recipients.filter((r) => r.action === "failed") ?? [],
      }, d.createdAt));
    }
    const now = this.#d.clock.now();
    const payload = messagePayload({
      event: d.event,
      account,
      message,
      raw,
      uids: (data.uids as { mailboxId: string; uid: number; uidValidity: number }[] | undefined) ?? [],
      envelope: data.envelope as { from: string | null; to: string[] } | undefined,
      authservId: config.hostname,
      attachmentUrl: (partId) => this.urls.url(account.id, message.id, partId, now),
      inlineAttachmentMax: this.settings.inlineAttachmentMax,
      maxBodyChars: this.settings.maxBodyChars,
      at: d.createdAt,
    });
    if (d.event === "message.bounced") payload.data.dsn = parseDsn(raw);
    return JSON.stringify(payload);
  }
}

/** Sends a signed `webhook.test` event (the CLI's `tern webhook test` without a server too). */
export async function sendTest(http: WebhookHttp, hook: WebhookRecord, now: Date): Promise<AttemptResult> {
  const started = performance.now();
  const body = JSON.stringify({
    type: "webhook.test",
    timestamp: now.toISOString(),
    data: { webhookId: hook.id, scope: hook.scope, scopeKind: hook.scopeKind },
  });
  return await sendSigned(
    http,
    hook,
    newDeliveryId(),
    body,
    now,
    () => Math.round(performance.now() - started),
  );
}
