/**
 * The outbound queue: durable entries (`Store.queue`, core/store/records/queue.ts), a scheduler that dispatches due
 * (message, domain) groups with bounded concurrency overall and per destination host, delivery over
 * the SMTP client (one connection and one transaction per domain for a message's recipients),
 * retries with exponential backoff, expiry, and DSNs (RFC 3464) back to the sender.
 *
 * Time comes from the injected clock. Tests drive it with a fake clock and `runDue()`; the server
 * calls `start()`, which waits for the next due time with real timers.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { Store } from "../store/store.ts";
import type { BlobId } from "../store/types.ts";
import type { DnsResolver } from "../dns/resolver.ts";
import {
  DeliveryPipeline,
  type LocalFilter,
  type PostDeliveryHook,
  type Refusal,
} from "../delivery/pipeline.ts";
import { memorySource } from "../delivery/spool.ts";
import type { OutboundEnvelope, OutboundQueue } from "../delivery/outbound.ts";
import { type ClientTimeouts, SmtpClient, SmtpClientError, statusFromReply } from "../smtp_client/client.ts";
import type { Connector } from "../smtp_client/connection.ts";
import { formatReply } from "../smtp_client/reply.ts";
import type { DkimSigner } from "../dkim/signer.ts";
import { buildDsn, type DsnRecipient } from "./dsn.ts";
import { KeyedLimiter, Semaphore } from "./limiter.ts";
import { QueueMetrics } from "./metrics.ts";
import type { QueueStore, RecipientUpdate } from "../store/records/queue.ts";
import { retryDelayMs } from "./retry.ts";
import { type DeliveryTarget, Router, type StsPolicySource } from "./routing.ts";
import type { TlsResultSink } from "../tlsrpt/result.ts";
import type { QueueSettings } from "./settings.ts";
import type {
  AttemptRecord,
  EnqueueOptions,
  QueuedMessage,
  QueuedRecipient,
  RecipientOutcome,
  RecipientOutcomeListener,
} from "./types.ts";

/** What the queue needs. */
export interface QueueOptions {
  /** The queue's records (`store.queue`), blobs, and local delivery of DSNs to local senders. */
  store: Store;
  settings: QueueSettings;
  clock: Clock;
  log: Logger;
  dns: DnsResolver;
  /** Connection factory (default: node:net / node:tls). */
  connector?: Connector;
  /** Extra trusted CA certificates for TLS to relays/MX (tests). */
  tlsCa?: string[];
  /** Signs outbound mail of domains with a key. */
  dkim?: DkimSigner | null;
  metrics?: QueueMetrics;
  /** Keep finished entries (tests inspect them); by default they are removed once final. */
  keepFinished?: boolean;
  /** Post-delivery hooks for messages the queue delivers to local mailboxes (DSNs); none by default. */
  hooks?: readonly PostDeliveryHook[];
  /** The local filter (Sieve) for messages the queue delivers to local mailboxes; none by default. */
  filter?: LocalFilter;
  /** Recipient domains' MTA-STS policies (RFC 8461), applied to MX routing; none: not applied. */
  mtaSts?: StsPolicySource | null;
  /** Receives the TLS outcome of every MX connection (TLS-RPT, RFC 8460); none: not recorded. */
  tlsResults?: TlsResultSink | null;
}

interface Outcome {
  status: "delivered" | "failed" | "deferred";
  reply: string;
  code: string;
  host: string | null;
  /** Already recorded (a transaction reply, committed before the next transaction). */
  recorded?: boolean;
}

/** Transaction outcomes of one group not committed yet, with their attempts. */
type TxLog = { updates: RecipientUpdate[]; attempt: AttemptRecord }[];

/** RFC 3461 §4.1: without NOTIFY, Tern reports failures and delays (the MTA's choice). */
function wants(r: QueuedRecipient, what: "FAILURE" | "DELAY" | "SUCCESS"): boolean {
  if (r.notify.includes("NEVER")) return false;
  if (r.notify.length === 0) return what !== "SUCCESS";
  return r.notify.includes(what);
}

/** True when any byte has the high bit set (8-bit content, RFC 6152). */
function has8bit(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i]! >= 0x80) return true;
  return false;
}

/** Transactions on one cached connection before it is closed (as Postfix's connection reuse limit). */
const MAX_USES = 100;
/** Real milliseconds an idle cached connection stays open. */
const IDLE_MS = 2_000;

function poolKey(t: DeliveryTarget, helo: string): string {
  const dane = t.dane?.map((r) => `${r.usage} ${r.selector} ${r.matchingType} ${r.data}`).join(",") ?? "";
  return [t.address, t.port, t.tls, t.requireTls, t.tlsVerify, t.auth?.username ?? "", helo, t.host, dane]
    .join("|");
}

/**
 * RFC 8689 §4.2.2: the message's header carries `TLS-Required: No`. Only the header section is
 * read (bounded by the message itself); folded values are unfolded.
 */
export function tlsRequiredNo(raw: Uint8Array): boolean {
  const limit = Math.min(raw.length, 256 * 1024);
  const head = new TextDecoder("latin1").decode(raw.subarray(0, limit));
  const end = head.search(/\r?\n\r?\n/);
  const section = (end === -1 ? head : head.slice(0, end)).replace(/\r?\n[ \t]+/g, " ");
  return /^TLS-Required[ \t]*:[ \t]*No[ \t]*$/im.test(section);
}

interface IdleConnection {
  client: SmtpClient;
  uses: number;
  timer: ReturnType<typeof setTimeout> | null;
}

/** The durable outbound queue. */
export class Queue implements OutboundQueue {
  readonly store: QueueStore;
  readonly metrics: QueueMetrics;
  /** Per destination host (address:port) connection limiter. */
  readonly hostLimiter: KeyedLimiter;
  readonly #opts: QueueOptions;
  readonly #router: Router;
  /** The inbound pipeline for local recipients (no relay: the queue is the relay). */
  readonly #local: DeliveryPipeline;
  readonly #global: Semaphore;
  readonly #inflight = new Set<string>();
  #running = false;
  #loop: Promise<void> | null = null;
  #kick: (() => void) | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  /** Open connections between transactions, per destination (connection reuse across messages). */
  readonly #idle = new Map<string, IdleConnection[]>();
  readonly #releases = new Set<Promise<void>>();
  /** Connections carrying a transaction now (cut by `stop` after its grace period). */
  readonly #active = new Set<SmtpClient>();
  readonly #outcomeListeners = new Set<RecipientOutcomeListener>();

  /** @param opts dependencies and settings */
  constructor(opts: QueueOptions) {
    this.#opts = opts;
    this.store = opts.store.queue;
    this.metrics = opts.metrics ?? new QueueMetrics();
    this.#router = new Router(opts.settings, opts.dns, opts.mtaSts ?? null);
    this.#local = new DeliveryPipeline({
      store: opts.store,
      clock: opts.clock,
      log: opts.log,
      hostname: opts.settings.hostname,
      hooks: opts.hooks,
      filter: opts.filter,
    });
    this.#global = new Semaphore(opts.settings.concurrency);
    this.hostLimiter = new KeyedLimiter(opts.settings.per_host_concurrency);
  }

  /**
   * Queues a message already in the blob store. Resolves once the entry is committed and fsynced:
   * only then may SMTP answer 250 (or JMAP report success).
   */
  async enqueue(
    envelope: OutboundEnvelope,
    message: { blobId: BlobId; size: number },
    options: EnqueueOptions = {},
  ): Promise<{ id: string }> {
    if (envelope.recipients.length === 0) throw new RangeError("No recipients to queue");
    return await this.#insert(envelope, message, false, options.origin ?? null);
  }

  /**
   * Registers a listener for the outcome of every delivery attempt of recipients of messages
   * queued with an `origin` (delivered, failed, deferred), called after the outcome is committed.
   * Returns the function that removes it. The queue knows nothing of the listener's meaning (JMAP
   * EmailSubmission status, core/jmap/submission_tracking.ts).
   */
  onRecipientOutcome(listener: RecipientOutcomeListener): () => void {
    this.#outcomeListeners.add(listener);
    return () => this.#outcomeListeners.delete(listener);
  }

  async #report(outcomes: RecipientOutcome[]): Promise<void> {
    for (const listener of this.#outcomeListeners) {
      for (const o of outcomes) {
        try {
          await listener(o);
        } catch (e) {
          this.#opts.log.warn("recipient outcome listener failed", {
            queue_id: o.queueId,
            error: (e as Error).message,
          });
        }
      }
    }
  }

  /**
   * Withdraws a message no recipient of which has been delivered or failed yet and that is not
   * being delivered right now (RFC 8621 §7.5 undo of a pending EmailSubmission). Returns false when
   * that is no longer possible (or the message is unknown).
   */
  async cancel(id: string): Promise<boolean> {
    const msg = await this.store.getMessage(id);
    if (!msg) return false;
    const rcpts = await this.store.recipients(id);
    if (rcpts.some((r) => r.status === "delivered" || r.status === "failed")) return false;
    if ([...this.#inflight].some((k) => k.startsWith(`${id}|`))) return false;
    await this.#remove(id);
    this.#opts.log.info("message canceled", { queue_id: id });
    return true;
  }

  async #insert(
    envelope: OutboundEnvelope,
    message: { blobId: BlobId; size: number },
    isDsn: boolean,
    origin: string | null = null,
  ): Promise<{ id: string }> {
    // The blob is pinned before the row exists: a crash in between leaks a reference, never mail.
    await this.#opts.store.retainBlob(message.blobId);
    const now = this.#opts.clock.now();
    const id = crypto.randomUUID();
    await this.store.insert(
      {
        id,
        from: envelope.from,
        envid: envelope.envid ?? null,
        ret: envelope.ret ?? null,
        smtputf8: envelope.smtputf8,
        body: envelope.body,
        blobId: message.blobId,
        size: message.size,
        authUser: envelope.authUser ?? null,
        createdAt: now,
        expiresAt: new Date(now.getTime() + this.#opts.settings.lifetime * 1000),
        isDsn,
        sessionId: envelope.sessionId,
        origin,
        requireTls: envelope.requireTls === true,
      },
      envelope.recipients.map((r) => ({ address: r.address, notify: r.notify, orcpt: r.orcpt ?? null })),
      now,
    );
    this.metrics.queued += envelope.recipients.length;
    this.#opts.log.info("message queued", {
      queue_id: id,
      session_id: envelope.sessionId,
      recipients: envelope.recipients.length,
      size: message.size,
      dsn: isDsn,
    });
    this.#wake();
    return { id };
  }

  /** Starts background delivery (real timers); resolves once started. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    if (!this.#opts.keepFinished) {
      void this.store.finishedMessageIds().then(
        (ids) => ids.forEach((id) => void this.#remove(id)),
        (e) => this.#opts.log.error("queue cleanup failed", { error: (e as Error).message }),
      );
    }
    this.#loop = this.#dispatch(false).then(
      () => {},
      (e) => this.#opts.log.error("queue scheduler stopped", { error: (e as Error).message }),
    );
  }

  /** Stops dispatching and waits for deliveries in progress to finish. */
  async stop(opts: { graceMs?: number } = {}): Promise<void> {
    this.#running = false;
    this.#wake();
    // Deliveries in progress get `graceMs` to finish; then their connections are cut, and they are
    // recorded as deferred like any connection failure (nothing is lost, at most re-sent).
    let timer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise<void>((r) => (timer = setTimeout(r, opts.graceMs ?? 10_000)));
    await Promise.race([this.#loop, grace]);
    clearTimeout(timer);
    for (const c of this.#active) c.close();
    await this.#loop;
    this.#loop = null;
    await this.#closeIdle();
    await this.#settle();
  }

  /**
   * Delivers everything due now (by the injected clock) and waits until those deliveries, and any
   * that become due meanwhile (e.g. DSNs), are done. Returns how many groups were processed.
   */
  async runDue(): Promise<number> {
    const n = await this.#dispatch(true);
    if (!this.#running) await this.#closeIdle();
    await this.#settle();
    return n;
  }

  /** Commits pending transaction outcomes (before the next transaction or host). */
  async #flushTx(
    id: string,
    log: TxLog,
    outcomes: Map<number, Outcome>,
  ): Promise<void> {
    if (log.length === 0) return;
    const entries = log.splice(0);
    await this.store.record(
      id,
      entries.flatMap((e) => e.updates),
      entries.map((e) => e.attempt),
      this.#opts.clock.now(),
    );
    for (const e of entries) for (const u of e.updates) outcomes.get(u.index)!.recorded = true;
  }

  #takeIdle(key: string): IdleConnection | null {
    const list = this.#idle.get(key);
    const c = list?.pop() ?? null;
    if (list && list.length === 0) this.#idle.delete(key);
    if (c?.timer) clearTimeout(c.timer);
    return c;
  }

  /** Keeps a connection for the next message to the same host, or closes it. */
  #park(key: string, client: SmtpClient, uses: number): void {
    if (uses >= MAX_USES || !client.reusable) {
      void client.quit();
      return;
    }
    const entry: IdleConnection = { client, uses, timer: null };
    if (this.#running) {
      entry.timer = setTimeout(() => {
        const list = this.#idle.get(key);
        const i = list?.indexOf(entry) ?? -1;
        if (list && i >= 0) list.splice(i, 1);
        if (list && list.length === 0) this.#idle.delete(key);
        void client.quit();
      }, IDLE_MS);
    }
    const list = this.#idle.get(key) ?? [];
    list.push(entry);
    this.#idle.set(key, list);
  }

  /** Sends QUIT on every cached connection. */
  async #closeIdle(): Promise<void> {
    const all = [...this.#idle.values()].flat();
    this.#idle.clear();
    await Promise.all(all.map((c) => {
      if (c.timer) clearTimeout(c.timer);
      return c.client.quit();
    }));
  }

  #wake(): void {
    const k = this.#kick;
    this.#kick = null;
    k?.();
  }

  async #dispatch(untilIdle: boolean): Promise<number> {
    const running = new Set<Promise<void>>();
    let count = 0;
    for (;;) {
      if (!untilIdle && !this.#running) break;
      const now = this.#opts.clock.now();
      const groups = (await this.store.dueGroups(now, 1000)).filter((g) =>
        !this.#inflight.has(`${g.messageId}|${g.domain}`)
      );
      if (groups.length === 0) {
        if (untilIdle && running.size === 0) break;
        const kicked = new Promise<void>((r) => (this.#kick = r));
        const waits: Promise<unknown>[] = [kicked, ...running];
        if (!untilIdle) {
          const next = await this.store.nextDue();
          const poll = this.#opts.settings.poll_interval * 1000;
          const ms = next === null ? poll : Math.max(0, Math.min(poll, next.getTime() - now.getTime()));
          waits.push(new Promise<void>((r) => (this.#timer = setTimeout(r, ms + 5))));
        }
        await Promise.race(waits);
        if (this.#timer !== null) clearTimeout(this.#timer);
        this.#timer = null;
        continue;
      }
      for (const g of groups) {
        if (!untilIdle && !this.#running) break;
        const release = await this.#global.acquire();
        const key = `${g.messageId}|${g.domain}`;
        if (this.#inflight.has(key)) {
          release();
          continue;
        }
        this.#inflight.add(key);
        count++;
        const p: Promise<void> = this.#runGroup(g.messageId, g.domain)
          .catch((e) => {
            this.#opts.log.error("delivery error", { queue_id: g.messageId, error: (e as Error).message });
          })
          .finally(() => {
            release();
            this.#inflight.delete(key);
            running.delete(p);
          });
        running.add(p);
      }
    }
    await Promise.all(running);
    return count;
  }

  /** One delivery run for the due recipients of one message in one domain. */
  async #runGroup(messageId: string, domain: string): Promise<void> {
    const msg = await this.store.getMessage(messageId);
    if (!msg) return;
    const now = this.#opts.clock.now();
    const rcpts = (await this.store.recipients(messageId)).filter((r) =>
      r.domain === domain && (r.status === "queued" || r.status === "deferred") &&
      r.nextAttemptAt.getTime() <= now.getTime()
    );
    if (rcpts.length === 0) return;
    const raw = await this.#opts.store.blobs.get(msg.blobId);
    const outcomes = new Map<number, Outcome>();
    const txLog: TxLog = [];
    let dsnPassed = true;
    if (raw === null) {
      for (const r of rcpts) {
        outcomes.set(r.index, {
          status: "failed",
          reply: "Message content lost from the queue",
          code: "5.3.0",
          host: null,
        });
      }
    } else if (await this.#opts.store.isLocalDomain(domain)) {
      await this.#deliverLocally(msg, raw, rcpts, outcomes);
    } else {
      // RFC 8689 §4.2.2: `TLS-Required: No` is ignored when REQUIRETLS was given (§4.1).
      const requireTls = msg.requireTls === true;
      const route = await this.#router.route(domain, {
        requireTls,
        ignoreTlsPolicy: !requireTls && tlsRequiredNo(raw),
      });
      if (route.kind !== "targets") {
        for (const r of rcpts) {
          outcomes.set(r.index, {
            status: route.kind === "permanent" ? "failed" : "deferred",
            reply: route.reason,
            code: route.status,
            host: null,
          });
        }
      } else {
        dsnPassed = await this.#deliver(msg, raw, rcpts, route.targets, outcomes, txLog);
      }
    }
    await this.#finishGroup(msg, raw, rcpts, outcomes, dsnPassed, txLog);
  }

  /**
   * Delivers to local accounts (DSNs to local senders, and any queued local recipient) through
   * the inbound pipeline (core/delivery/pipeline.ts): one store call for all of them. The message
   * keeps the trace fields it was queued with; only Return-Path is added.
   */
  async #deliverLocally(
    msg: QueuedMessage,
    raw: Uint8Array,
    rcpts: QueuedRecipient[],
    outcomes: Map<number, Outcome>,
  ): Promise<void> {
    const tx = this.#local.begin(
      { from: msg.from, smtputf8: false, body: "8BITMIME" },
      { kind: "queue", sessionId: msg.id },
      { mayRelay: false, localOnly: true, id: msg.id },
    );
    const accepted: QueuedRecipient[] = [];
    for (const r of rcpts) {
      const refusal = await tx.addRecipient({ address: r.address });
      if (refusal === null) accepted.push(r);
      else outcomes.set(r.index, localOutcome(refusal));
    }
    if (accepted.length === 0) return;
    const result = await tx.deliver(memorySource(raw));
    result.recipients.forEach((res, k) => {
      outcomes.set(
        accepted[k]!.index,
        res.status === "failed" ? localOutcome(res.refusal, res.error) : {
          status: "delivered",
          reply: "250 2.0.0 Delivered locally",
          code: "2.0.0",
          host: null,
        },
      );
    });
  }

  /**
   * Tries each target in turn (RFC 5321 §5.1): recipients answered with 2xx or 5xx are final at
   * once (recorded before the next transaction, so a crash never re-sends them); those left with a
   * 4xx or a connection problem go on to the next host. Returns whether DSN was passed on.
   */
  async #deliver(
    msg: QueuedMessage,
    raw: Uint8Array,
    rcpts: QueuedRecipient[],
    targets: DeliveryTarget[],
    outcomes: Map<number, Outcome>,
    txLog: TxLog,
  ): Promise<boolean> {
    const s = this.#opts.settings;
    const domain = rcpts[0]?.domain ?? "";
    let body = raw;
    if (this.#opts.dkim) {
      const signed = await this.#opts.dkim.sign(raw, msg.from, this.#opts.clock.now());
      if (signed.error) this.#opts.log.warn("dkim signing failed", { queue_id: msg.id, error: signed.error });
      body = signed.message;
    }
    // RFC 6152: the content decides. A message declared 8BITMIME (JMAP always does) that is 7-bit
    // clean can go to any server; 8-bit content declared 7BIT is sent as 8BITMIME, never silently.
    const bodyType: QueuedMessage["body"] = msg.body === "BINARYMIME"
      ? "BINARYMIME"
      : has8bit(body)
      ? "8BITMIME"
      : "7BIT";
    const timeouts: ClientTimeouts = {
      connect: s.timeout_connect * 1000,
      greeting: s.timeout_greeting * 1000,
      command: s.timeout_command * 1000,
      dataInit: s.timeout_data_init * 1000,
      dataBlock: s.timeout_data_block * 1000,
      dataEnd: s.timeout_data_end * 1000,
    };
    let pending = rcpts;
    let dsnPassed = true;
    let permanentErrors = 0;
    const queue = [...targets];
    for (let ti = 0; ti < queue.length; ti++) {
      const t = queue[ti]!;
      if (pending.length === 0) break;
      await this.#flushTx(msg.id, txLog, outcomes);
      const releaseHost = await this.hostLimiter.acquire(`${t.address}:${t.port}`);
      const started = performance.now();
      let client: SmtpClient | null = null;
      try {
        const key = poolKey(t, s.hostname);
        const connect = () =>
          SmtpClient.connect({
            host: t.address,
            port: t.port,
            serverName: t.host,
            heloName: s.hostname,
            tls: t.tls,
            requireTls: t.requireTls,
            tlsVerify: t.tlsVerify,
            ca: this.#opts.tlsCa,
            auth: t.auth,
            timeouts,
            connector: this.#opts.connector,
            dane: t.dane,
          });
        let pooled = this.#takeIdle(key);
        if (!pooled) {
          client = await connect();
          // The clear-text retry after a failed handshake was already reported as that failure.
          // RFC 8461 §5 "testing": a certificate failure is reported although the mail goes on.
          const observed = t.tlsPolicy?.type === "sts" ? client.tlsProblem : null;
          if (t.tls !== "none") {
            this.#tlsResult(domain, t, client.secure ? observed : "starttls-not-supported");
          }
        } else client = pooled.client;
        this.#active.add(client);
        let uses = pooled?.uses ?? 0;
        const carried: QueuedRecipient[] = [];
        // One connection for the domain; a new transaction only past the per-transaction limit.
        for (let i = 0; i < pending.length; i += s.max_recipients_per_transaction) {
          const batch = pending.slice(i, i + s.max_recipients_per_transaction);
          // Replies of the previous transaction are committed before anything else goes out.
          await this.#flushTx(msg.id, txLog, outcomes);
          const t0 = performance.now();
          const env = {
            from: msg.from,
            recipients: batch.map((r) => ({ address: r.address, notify: r.notify, orcpt: r.orcpt })),
            size: body.length,
            body: bodyType,
            smtputf8: msg.smtputf8,
            ret: msg.ret,
            envid: msg.envid,
            requireTls: msg.requireTls === true,
          };
          let res;
          try {
            res = await client.send(env, body);
          } catch (e) {
            // A cached connection the server closed meanwhile: reconnect once, nothing was sent.
            if (
              !pooled || !(e instanceof SmtpClientError) || e.stage !== "mail" || e.reply !== null ||
              e.status === "5.7.30"
            ) throw e;
            client.close();
            this.#active.delete(client);
            pooled = null;
            client = await connect();
            this.#active.add(client);
            uses = 0;
            res = await client.send(env, body);
          }
          uses++;
          dsnPassed = res.dsnPassed;
          const updates: RecipientUpdate[] = [];
          const now = this.#opts.clock.now();
          batch.forEach((r, k) => {
            const reply = res.replies[k]!;
            const text = formatReply(reply);
            const code = statusFromReply(reply);
            if (reply.code < 400) {
              outcomes.set(r.index, {
                status: "delivered",
                reply: text,
                code,
                host: t.host,
                recorded: false,
              });
              updates.push({
                index: r.index,
                status: "delivered",
                reply: text,
                host: t.host,
                attempted: true,
              });
            } else if (reply.code >= 500) {
              outcomes.set(r.index, { status: "failed", reply: text, code, host: t.host, recorded: false });
              updates.push({ index: r.index, status: "failed", reply: text, host: t.host, attempted: true });
            } else {
              outcomes.set(r.index, { status: "deferred", reply: text, code, host: t.host });
              carried.push(r);
            }
          });
          if (updates.length > 0) {
            const outcome = updates.some((u) => u.status === "delivered") ? "delivered" : "failed";
            txLog.push({
              updates,
              attempt: {
                messageId: msg.id,
                recipients: updates.map((u) => u.index),
                at: now,
                host: t.host,
                outcome,
                reply: updates[0]!.reply,
                latencyMs: performance.now() - t0,
              },
            });
          }
        }
        pending = carried;
        this.#active.delete(client);
        this.#park(key, client, uses);
        client = null;
      } catch (e) {
        if (client) this.#active.delete(client);
        client?.close();
        let err = e instanceof SmtpClientError
          ? e
          : new SmtpClientError((e as Error).message ?? String(e), "connect", false, "4.0.0");
        if (err.tlsFailure) this.#tlsResult(domain, t, err.tlsFailure, err.message);
        if (msg.requireTls && err.stage === "starttls" && err.status !== "5.7.30") {
          // RFC 8689 §4.2.1 / §5: no TLS with an authenticated server: not delivered to this host,
          // reported as 5.7.30 "REQUIRETLS support required" (permanent unless another host defers).
          err = new SmtpClientError(`REQUIRETLS: ${err.message}`, err.stage, true, "5.7.30");
        }
        if (err.permanent) permanentErrors++;
        if (err.stage === "starttls" && err.status === "4.7.5" && t.tls === "starttls" && !t.requireTls) {
          // Opportunistic TLS (RFC 3207 §4.1, as Postfix's "may"): after a failed handshake, the same
          // host once more in clear text rather than no delivery at all.
          queue.splice(ti + 1, 0, { ...t, tls: "none" });
        }
        this.#opts.log.info("delivery attempt failed", {
          queue_id: msg.id,
          host: t.host,
          stage: err.stage,
          error: err.message,
        });
        for (const r of pending) {
          outcomes.set(r.index, {
            status: err.permanent ? "failed" : "deferred",
            reply: err.message,
            code: err.status,
            host: t.host,
          });
        }
      } finally {
        releaseHost();
        this.metrics.observeAttempt(performance.now() - started);
      }
    }
    // A permanent refusal from one host is final only if no other host gave a temporary answer.
    if (permanentErrors > 0 && permanentErrors < queue.length) {
      for (const r of pending) {
        const o = outcomes.get(r.index);
        if (o?.status === "failed" && !o.recorded) o.status = "deferred";
      }
    }
    return dsnPassed;
  }

  /** Reports one MX connection's TLS outcome to TLS-RPT (RFC 8460); relays are not reported. */
  #tlsResult(domain: string, t: DeliveryTarget, failure: string | null, reason?: string): void {
    const sink = this.#opts.tlsResults;
    if (!sink || t.relay || !t.tlsPolicy) return;
    try {
      sink.record({
        policyDomain: domain.toLowerCase(),
        policyType: t.tlsPolicy.type,
        policyStrings: t.tlsPolicy.strings,
        mxHost: t.host,
        receivingIp: t.address,
        failure,
        ...(reason ? { reason } : {}),
        at: this.#opts.clock.now(),
      });
    } catch (e) {
      this.#opts.log.warn("tls result not recorded", { error: (e as Error).message });
    }
  }

  /** Records deferrals and session-level failures, expiry, then sends DSNs and cleans up. */
  async #finishGroup(
    msg: QueuedMessage,
    raw: Uint8Array | null,
    rcpts: QueuedRecipient[],
    outcomes: Map<number, Outcome>,
    dsnPassed: boolean,
    txLog: TxLog,
  ): Promise<void> {
    const s = this.#opts.settings;
    const now = this.#opts.clock.now();
    const updates: RecipientUpdate[] = [];
    const failed: { r: QueuedRecipient; o: Outcome; expired: boolean }[] = [];
    const delayed: { r: QueuedRecipient; o: Outcome }[] = [];
    const delivered: { r: QueuedRecipient; o: Outcome }[] = [];
    for (const r of rcpts) {
      const o = outcomes.get(r.index);
      if (!o) continue;
      if (o.status === "delivered") {
        delivered.push({ r, o });
        if (!o.recorded) {
          updates.push({
            index: r.index,
            status: "delivered",
            reply: o.reply,
            host: o.host,
            attempted: true,
          });
        }
        this.metrics.delivered++;
        continue;
      }
      if (o.status === "failed") {
        // Transaction replies were recorded as they came; session-level failures are recorded here.
        if (!o.recorded) {
          updates.push({ index: r.index, status: "failed", reply: o.reply, host: o.host, attempted: true });
        }
        failed.push({ r, o, expired: false });
        this.metrics.failed++;
        continue;
      }
      // Deferred: expiry, else the next attempt by the backoff schedule (never past expiry).
      if (now.getTime() >= msg.expiresAt.getTime()) {
        const reply = `Delivery time expired; last error: ${o.reply}`;
        updates.push({ index: r.index, status: "failed", reply, host: o.host, attempted: true });
        failed.push({ r, o: { ...o, status: "failed", reply, code: "4.4.7" }, expired: true });
        this.metrics.failed++;
        continue;
      }
      const delay = retryDelayMs({ base: s.retry_base, max: s.retry_max }, r.attempts + 1);
      const next = new Date(Math.min(now.getTime() + delay, msg.expiresAt.getTime()));
      updates.push({
        index: r.index,
        status: "deferred",
        nextAttemptAt: next,
        reply: o.reply,
        host: o.host,
        attempted: true,
      });
      this.metrics.deferred++;
      if (
        s.delay_notify > 0 && !r.delayNotified && wants(r, "DELAY") &&
        now.getTime() - msg.createdAt.getTime() >= s.delay_notify * 1000
      ) delayed.push({ r, o });
    }
    const rest = updates;
    // DSNs are built and their blobs written first, then queued in the same commit as the outcome
    // they report: a crash can never record a failure and lose its bounce.
    const dsns: DsnRecipient[][] = [];
    if (raw !== null && msg.from !== null && !msg.isDsn) {
      const fail = failed.filter((f) => wants(f.r, "FAILURE"));
      if (fail.length > 0) dsns.push(fail.map((f) => this.#dsnRecipient(f.r, f.o, "failed")));
      if (delayed.length > 0) {
        dsns.push(
          delayed.map((d) => ({ ...this.#dsnRecipient(d.r, d.o, "delayed"), willRetryUntil: msg.expiresAt })),
        );
      }
      // RFC 3461 §5.2.2: NOTIFY=SUCCESS not passed on (remote without DSN): Tern reports "relayed".
      const ok = delivered.filter((d) => d.r.notify.includes("SUCCESS"));
      if (ok.length > 0 && !dsnPassed) dsns.push(ok.map((d) => this.#dsnRecipient(d.r, d.o, "relayed")));
    }
    const prepared: { blobId: BlobId; size: number; action: string }[] = [];
    for (const recipients of dsns) {
      const bytes = buildDsn({
        reportingMta: s.hostname,
        to: msg.from!,
        envid: msg.envid,
        arrivalDate: msg.createdAt,
        now,
        recipients,
        original: raw!,
        // RFC 8689 §5: a bounce of a REQUIRETLS message may travel where the message could not:
        // it carries the header only, and is itself sent with REQUIRETLS.
        ret: msg.requireTls ? "HDRS" : msg.ret ?? "FULL",
        id: crypto.randomUUID(),
        utf8: msg.smtputf8,
      });
      const blob = await this.#opts.store.blobs.put(bytes);
      await this.#opts.store.retainBlob(blob.blobId);
      prepared.push({ ...blob, action: recipients[0]!.action });
    }
    const deferredOnly = rest.every((u) => u.status === "deferred");
    // Transaction replies not yet committed go in the same commit, with their attempts.
    const txIndexes = new Set(txLog.flatMap((e) => e.updates.map((u) => u.index)));
    const other = rest.filter((u) => !txIndexes.has(u.index));
    const attempts = txLog.map((e) => e.attempt);
    if (other.length > 0) {
      attempts.push({
        messageId: msg.id,
        recipients: other.map((u) => u.index),
        at: now,
        host: other[0]!.host,
        outcome: deferredOnly ? "deferred" : "failed",
        reply: other[0]!.reply,
        latencyMs: 0,
      });
    }
    // RFC 3461 §6.2 / RFC 5321 §4.5.5: a DSN is sent from the null reverse-path; the DSNs are
    // queued in the same commit as the outcome they report.
    const dsnIds = prepared.map(() => crypto.randomUUID());
    const enqueue = prepared.map((b, i) => ({
      message: {
        id: dsnIds[i]!,
        from: null,
        envid: null,
        ret: null,
        smtputf8: [...msg.from!].some((ch) => ch.charCodeAt(0) > 0x7f),
        body: "8BITMIME" as const,
        blobId: b.blobId,
        size: b.size,
        authUser: null,
        createdAt: now,
        expiresAt: new Date(now.getTime() + s.lifetime * 1000),
        isDsn: true,
        sessionId: `dsn-${msg.id}`,
        requireTls: msg.requireTls === true,
      },
      recipients: [{ address: msg.from! }],
    }));
    const removedBlob = await this.store.record(msg.id, rest, attempts, now, {
      removeIfFinished: !this.#opts.keepFinished,
      enqueue,
      delayNotified: delayed.map((d) => d.r.index),
    });
    if (removedBlob !== null) this.#releaseBlob(removedBlob);
    if (msg.origin && this.#outcomeListeners.size > 0) {
      const reported: RecipientOutcome[] = [];
      for (const r of rcpts) {
        const o = outcomes.get(r.index);
        if (!o) continue;
        const final = failed.find((f) => f.r.index === r.index)?.o ?? o;
        reported.push({
          origin: msg.origin,
          queueId: msg.id,
          address: r.address,
          status: final.status,
          reply: final.reply,
          host: final.host,
        });
      }
      await this.#report(reported);
    }
    for (const d of delivered) {
      this.#opts.log.info("delivered", { queue_id: msg.id, rcpt_domain: d.r.domain, host: d.o.host });
    }
    prepared.forEach((b, i) => {
      this.metrics.dsnSent++;
      this.metrics.queued++;
      this.#opts.log.info("dsn queued", { queue_id: msg.id, dsn_id: dsnIds[i], action: b.action });
    });
    if (prepared.length > 0) this.#wake();
  }

  #dsnRecipient(r: QueuedRecipient, o: Outcome, action: DsnRecipient["action"]): DsnRecipient {
    return {
      address: r.address,
      orcpt: r.orcpt,
      action,
      status: action === "relayed" || action === "delivered" ? "2.0.0" : o.code,
      remoteMta: o.host,
      diagnostic: o.reply,
      lastAttempt: this.#opts.clock.now(),
    };
  }

  async #remove(id: string): Promise<void> {
    const blobId = await this.store.delete(id);
    if (blobId !== null) this.#releaseBlob(blobId);
  }

  /** Drops the queue's blob reference in the background (the store groups these commits). */
  #releaseBlob(blobId: BlobId): void {
    const done: Promise<void> = this.#opts.store.releaseBlob(blobId)
      .catch((e) => this.#opts.log.warn("blob release failed", { error: (e as Error).message }))
      .finally(() => this.#releases.delete(done));
    this.#releases.add(done);
  }

  /** Waits for background blob releases. */
  async #settle(): Promise<void> {
    while (this.#releases.size > 0) await Promise.all([...this.#releases]);
  }

  /** Deletes a message from the queue (admin); returns false when it does not exist. */
  async delete(id: string): Promise<boolean> {
    if ((await this.store.getMessage(id)) === null) return false;
    await this.#remove(id);
    return true;
  }

  /** Makes one message (or all, for null) due now and wakes the scheduler. */
  async retry(id: string | null): Promise<number> {
    const n = await this.store.retryNow(id, this.#opts.clock.now());
    this.#wake();
    return n;
  }
}

/** A local refusal as a queue outcome: permanent (5xx) fails the recipient, temporary defers it. */
function localOutcome(r: Refusal, error?: unknown): Outcome {
  if (r.reason === "unknownUser") {
    return { status: "failed", reply: "550 5.1.1 No such local recipient", code: "5.1.1", host: null };
  }
  const detail = r.reason === "localError" && error instanceof Error
    ? `Local delivery failed: ${error.message}`
    : r.text;
  return {
    status: r.code >= 500 ? "failed" : "deferred",
    reply: `${r.code} ${r.enhanced} ${detail}`,
    code: r.enhanced,
    host: null,
  };
}
