/**
 * The notification service: tells users and admins when something needs their attention, as a
 * message in their Inbox (from the postmaster address, `Auto-Submitted: auto-generated`) and as a
 * `notification` webhook event (plus `quota.warning` for quota), deduplicated per cause within a
 * window (kept in the store, so restarts do not repeat) and rate-limited per recipient.
 *
 * Causes wired today: quota at 80 % and 100 % (after each delivery), bounces (a DSN delivered to the
 * sender: webhook event only, the DSN being in the Inbox), queue backlog, delivery
 * failure rate and certificate expiry (periodic admin checks). Entry points for other modules:
 * `newDeviceLogin` and `refreshTokenReuse` (admin API sessions), `componentUnhealthy` (health).
 *
 * @module
 */
import { X509Certificate } from "node:crypto";
import type { Clock } from "../clock.ts";
import type { Config } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import type { Store } from "../store/store.ts";
import type { Account, AccountId } from "../store/types.ts";
import type { PostDeliveryHook } from "../delivery/pipeline.ts";
import { deliverLocal } from "../delivery/local.ts";
import { memorySource } from "../delivery/spool.ts";
import type { WebhookService } from "../webhooks/service.ts";
import { parseDsn } from "../webhooks/dsn_report.ts";
import { composeNotification } from "./message.ts";
import { type NotifySettings, notifySettings } from "./settings.ts";

/** Why a notification is sent. */
export type NotificationCause =
  | "quota"
  | "bounce"
  | "new_device_login"
  | "refresh_token_reuse"
  | "queue_backlog"
  | "delivery_failure_rate"
  | "certificate_expiry"
  | "component_unhealthy";

/** One notification. */
export interface Notification {
  cause: NotificationCause;
  /** Distinguishes instances of a cause (e.g. the quota threshold, the certificate file). */
  key: string;
  subject: string;
  text: string;
  /** Structured detail for the webhook event (never a secret or message content). */
  data: Record<string, unknown>;
  /** Put a message in the Inbox too (default true; false when the cause is a message there already). */
  inbox?: boolean;
}

/** What the notifier needs. */
export interface NotifierDeps {
  config: Config;
  store: Store;
  clock: Clock;
  log: Logger;
  webhooks?: WebhookService;
}

const HOUR = 3_600_000;

/** The notification service of a server. */
export class Notifier {
  readonly settings: NotifySettings;
  readonly #d: NotifierDeps;
  readonly #sent = new Map<string, number[]>();
  readonly #outcomes: { at: number; failed: boolean }[] = [];
  #timer: ReturnType<typeof setTimeout> | null = null;
  #checking: Promise<void> | null = null;

  /** @param deps config, store, clock, log and the webhook service */
  constructor(deps: NotifierDeps) {
    this.#d = deps;
    this.settings = notifySettings(deps.config);
  }

  /** Starts the periodic admin checks (first one after one interval). */
  start(): void {
    if (this.#timer !== null) return;
    const tick = () => {
      this.#checking = this.checkAdmin().finally(() => {
        this.#checking = null;
        if (this.#timer !== null) this.#timer = setTimeout(tick, this.settings.checkIntervalMs);
      });
    };
    this.#timer = setTimeout(tick, this.settings.checkIntervalMs);
  }

  /** Stops the periodic checks. */
  async stop(): Promise<void> {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#checking;
  }

  /** Deduplication and rate limit: true when this notification may go to `recipient` now. */
  async #claim(recipient: string, n: Notification): Promise<boolean> {
    const now = this.#d.clock.now();
    const stamps = (this.#sent.get(recipient) ?? []).filter((t) => t > now.getTime() - HOUR);
    if (this.settings.rateLimitPerHour > 0 && stamps.length >= this.settings.rateLimitPerHour) {
      this.#d.log.warn("notification rate-limited", { cause: n.cause, recipient });
      return false;
    }
    const key = `${n.cause}:${n.key}:${recipient}`;
    const since = new Date(now.getTime() - this.settings.dedupWindowMs);
    if (!(await this.#d.store.notifications.claim(key, now, since))) return false;
    stamps.push(now.getTime());
    this.#sent.set(recipient, stamps);
    return true;
  }

  /** Puts the notification message into an account's Inbox. */
  async #deliver(account: Pick<Account, "id" | "address">, n: Notification): Promise<void> {
    const { store, clock, config, log } = this.#d;
    const now = clock.now();
    const raw = composeNotification({
      from: this.settings.from,
      to: account.address,
      subject: n.subject,
      text: n.text,
      cause: n.cause,
      now,
      hostname: config.hostname,
    });
    try {
      // RFC 3834 §3.3 spirit: a null return path, nothing answers it.
      await deliverLocal(store, {
        prefix: "Return-Path: <>\r\n",
        message: memorySource(raw),
        accountIds: [account.id],
        receivedAt: now,
      });
    } catch (e) {
      // A full mailbox cannot take its own 100 % warning: the webhook still carries it.
      log.warn("notification not delivered", {
        cause: n.cause,
        account_id: account.id,
        error: (e as Error).message,
      });
    }
  }

  /** Notifies a user (Inbox and webhooks); false when deduplicated or rate-limited. */
  async notifyUser(account: Pick<Account, "id" | "address">, n: Notification): Promise<boolean> {
    if (!(await this.#claim(account.address.toLowerCase(), n))) return false;
    this.#d.log.info("notification", { cause: n.cause, account_id: account.id });
    if (n.inbox !== false) await this.#deliver(account, n);
    const webhooks = this.#d.webhooks;
    if (webhooks) {
      const data = { cause: n.cause, subject: n.subject, text: n.text, ...n.data };
      await webhooks.emit(account, "notification", data);
      if (n.cause === "quota") await webhooks.emit(account, "quota.warning", n.data);
    }
    return true;
  }

  /** Notifies the admins (`[notify] admins` Inboxes and `system` webhooks); false when deduplicated. */
  async notifyAdmins(n: Notification): Promise<boolean> {
    if (!(await this.#claim("(admins)", n))) return false;
    this.#d.log.warn("admin notification", { cause: n.cause, key: n.key });
    for (const address of this.settings.admins) {
      const account = await this.#d.store.getAccountByAddress(address);
      if (account) await this.#deliver(account, n);
    }
    await this.#d.webhooks?.emitSystem("notification", {
      cause: n.cause,
      subject: n.subject,
      text: n.text,
      ...n.data,
    });
    return true;
  }

  /**
   * Checks the accounts' quota use against the thresholds (after a delivery). `usage`, the use the
   * store reported with the delivery, spares reading the accounts: one is read only when a
   * threshold is reached (for its address).
   */
  async checkQuota(
    accountIds: readonly AccountId[],
    usage?: ReadonlyMap<AccountId, { usedBytes: number; quotaBytes: number }>,
  ): Promise<void> {
    for (const id of new Set(accountIds)) {
      const known = usage?.get(id);
      if (known && (known.quotaBytes <= 0 || this.#threshold(known) === undefined)) continue;
      const account = await this.#d.store.getAccount(id);
      if (!account || account.quotaBytes <= 0) continue;
      const percent = Math.floor((account.usedBytes * 100) / account.quotaBytes);
      const threshold = this.#threshold(account);
      if (threshold === undefined) continue;
      await this.notifyUser(account, {
        cause: "quota",
        key: String(threshold),
        subject: threshold >= 100 ? "Your mailbox is full" : `Your mailbox is ${threshold}% full`,
        text: `Your mailbox ${account.address} uses ${account.usedBytes} of ${account.quotaBytes} bytes ` +
          `(${percent}%).\n` +
          (threshold >= 100
            ? "New messages will be refused until you delete some.\n"
            : "Delete messages you no longer need before it fills up.\n"),
        data: { threshold, percent, usedBytes: account.usedBytes, quotaBytes: account.quotaBytes },
      });
    }
  }

  /** The highest quota threshold (percent) the use has reached, if any. */
  #threshold(u: { usedBytes: number; quotaBytes: number }): number | undefined {
    const percent = Math.floor((u.usedBytes * 100) / u.quotaBytes);
    return this.settings.quotaThresholds.find((t) => percent >= t);
  }

  /**
   * A bounce of a message the account sent (an RFC 3464 DSN delivered to it): the DSN is in the
   * Inbox already, so only the `notification` webhook event goes out, once per returned message.
   */
  async bounce(accountIds: readonly AccountId[], raw: Uint8Array): Promise<void> {
    const report = parseDsn(raw);
    const failed = report?.recipients.filter((r) => r.action === "failed") ?? [];
    if (!report || failed.length === 0) return;
    for (const id of new Set(accountIds)) {
      const account = await this.#d.store.getAccount(id);
      if (!account) continue;
      await this.notifyUser(account, {
        cause: "bounce",
        key: report.originalMessageId ?? failed.map((r) => r.finalRecipient).join(","),
        subject: `Undeliverable: ${report.originalSubject ?? "a message you sent"}`,
        text: `A message you sent could not be delivered to ${
          failed.map((r) => r.finalRecipient).join(", ")
        }.\n`,
        data: {
          originalMessageId: report.originalMessageId,
          recipients: failed.map((r) => ({ address: r.finalRecipient, status: r.status })),
        },
        inbox: false,
      });
    }
  }

  /** The post-delivery hook: quota notifications, and bounces (null reverse-path, RFC 3464). */
  readonly hook: PostDeliveryHook = {
    name: "notify",
    run: async (delivery) => {
      await this.checkQuota(delivery.accountIds, delivery.usage);
      // RFC 3464 §2 / RFC 5321 §4.5.5: DSNs come with the null reverse-path; only those are read.
      if (delivery.envelope.from === null) {
        const raw = await delivery.raw();
        if (raw) await this.bounce(delivery.accountIds, raw);
      }
    },
  };

  /**
   * Entry point for the admin API (core/api_auth): a login from a device not seen before for the
   * account. `device` is a short description (user agent, IP); never a token or password.
   */
  async newDeviceLogin(
    accountId: AccountId,
    device: { description: string; ip: string | null },
  ): Promise<boolean> {
    const account = await this.#d.store.getAccount(accountId);
    if (!account) return false;
    return await this.notifyUser(account, {
      cause: "new_device_login",
      key: `${device.description}|${device.ip ?? ""}`,
      subject: "New sign-in to your account",
      text:
        `Your account ${account.address} was signed in to from a new device:\n\n  ${device.description}\n` +
        (device.ip ? `  from ${device.ip}\n` : "") +
        "\nIf this was not you, change your password and sign out other sessions.\n",
      data: { device: device.description, ip: device.ip },
    });
  }

  /**
   * Entry point for the admin API: a refresh token was used twice (RFC 9700 §4.14.2: the token
   * family is revoked); the user should know the session may be stolen.
   */
  async refreshTokenReuse(
    accountId: AccountId,
    detail: { sessionId: string; ip: string | null },
  ): Promise<boolean> {
    const account = await this.#d.store.getAccount(accountId);
    if (!account) return false;
    return await this.notifyUser(account, {
      cause: "refresh_token_reuse",
      key: detail.sessionId,
      subject: "A session of your account was signed out",
      text: `A refresh token of your account ${account.address} was used twice, which happens when it is ` +
        "copied. The session has been signed out. If you did not expect this, change your password.\n",
      data: { sessionId: detail.sessionId, ip: detail.ip },
    });
  }

  /** Entry point for health checks (core/health): a component is unhealthy. */
  async componentUnhealthy(component: string, detail: string): Promise<boolean> {
    return await this.notifyAdmins({
      cause: "component_unhealthy",
      key: component,
      subject: `Component unhealthy: ${component}`,
      text: `The component ${component} is unhealthy:\n\n  ${detail}\n`,
      data: { component, detail },
    });
  }

  /** Counts a remote recipient's final outcome for the failure-rate check. */
  recordOutcome(failed: boolean): void {
    const now = this.#d.clock.now().getTime();
    this.#outcomes.push({ at: now, failed });
    while (this.#outcomes.length > 0 && this.#outcomes[0]!.at < now - HOUR) this.#outcomes.shift();
    if (this.#outcomes.length > 100_000) this.#outcomes.splice(0, this.#outcomes.length - 100_000);
  }

  /** The periodic admin checks: queue backlog, failure rate, certificate expiry. Never throws. */
  async checkAdmin(): Promise<void> {
    const { store, log, clock } = this.#d;
    try {
      const counts = await store.queue.countByStatus();
      const backlog = counts.queued + counts.deferred;
      if (backlog > this.settings.queueBacklog) {
        await this.notifyAdmins({
          cause: "queue_backlog",
          key: "queue",
          subject: `Outbound queue backlog: ${backlog} recipients`,
          text:
            `${backlog} recipients wait in the outbound queue (threshold ${this.settings.queueBacklog}).\n` +
            "Check `tern queue list` and the remote hosts' answers.\n",
          data: { backlog, threshold: this.settings.queueBacklog },
        });
      }
      const now = clock.now().getTime();
      const recent = this.#outcomes.filter((o) => o.at >= now - HOUR);
      const failed = recent.filter((o) => o.failed).length;
      if (
        this.settings.failureRate > 0 && recent.length >= 20 &&
        failed * 100 >= this.settings.failureRate * recent.length
      ) {
        await this.notifyAdmins({
          cause: "delivery_failure_rate",
          key: "remote",
          subject: `Delivery failure rate ${Math.round((failed * 100) / recent.length)}%`,
          text: `${failed} of ${recent.length} remote recipients failed in the last hour.\n`,
          data: { failed, total: recent.length },
        });
      }
      for (const file of this.#certificateFiles()) await this.#checkCertificate(file);
      // Causes older than the window may be sent again anyway: forget them.
      await store.notifications.prune(new Date(clock.now().getTime() - this.settings.dedupWindowMs));
    } catch (e) {
      log.error("admin notification check failed", { error: (e as Error)?.message ?? String(e) });
    }
  }

  #certificateFiles(): string[] {
    const { config } = this.#d;
    const files = new Set<string>();
    if (config.tls.cert) files.add(config.tls.cert);
    for (const l of Object.values(config.listeners)) if (l.cert) files.add(l.cert);
    if (files.size === 0) files.add(`${config.data_dir}/tls/cert.pem`);
    return [...files];
  }

  async #checkCertificate(file: string): Promise<void> {
    let pem: string;
    try {
      pem = await Deno.readTextFile(file);
    } catch {
      return;
    }
    const validTo = new Date(new X509Certificate(pem).validTo);
    const days = Math.floor((validTo.getTime() - this.#d.clock.now().getTime()) / 86_400_000);
    if (days > this.settings.certWarnDays) return;
    await this.notifyAdmins({
      cause: "certificate_expiry",
      key: `${file}|${validTo.toISOString()}`,
      subject: days < 0 ? "TLS certificate expired" : `TLS certificate expires in ${days} days`,
      text: `The certificate ${file} ${days < 0 ? "expired" : "expires"} on ${validTo.toISOString()}.\n` +
        "Renew it and reload the server (SIGHUP).\n",
      data: { file, validTo: validTo.toISOString(), days },
    });
  }
}
