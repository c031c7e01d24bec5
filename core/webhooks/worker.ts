/**
 * The webhook delivery worker: sends the outbox's due deliveries (core/store/records/webhooks.ts)
 * at least once, signed per Standard Webhooks (signature.ts), through the SSRF-guarded client.
 *
 * - Concurrency: at most `concurrency` requests in flight, at most `perEndpointConcurrency` per
 *   webhook (the store hands out due rows fairly per webhook).
 * - A 2xx answer delivers; anything else (another status, timeout, connection error) is retried
 *   after `retry_base · 2^(n-1)` seconds capped at `retry_max` (60, 120, 240, 480, 960 by
 *   default), until the delivery's expiry, then it is failed. A target the SSRF guard refuses, or
 *   a message deleted before it was sent, fails at once.
 * - Circuit breaker per webhook: `circuitFailures` consecutive failures open it for
 *   `circuitPause`; then a single probe is sent; its success closes the circuit, its failure opens
 *   it again. The state is kept on the webhook row, so it survives restarts.
 * - Crash safety: a delivery stays pending until its attempt is recorded; a process killed
 *   mid-request sends it again after restart (the receiver deduplicates on `webhook-id`).
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { Store } from "../store/store.ts";
import type { WebhookDelivery, WebhookRecord } from "../store/records/webhooks.ts";
import { OutboundHttpRefused, type OutboundRequest, type OutboundResponse } from "../net/outbound_http.ts";
import { retryDelayMs, type WebhookSettings } from "./settings.ts";
import { sign } from "./signature.ts";

/** Milliseconds the loop gathers completions before its next pass while requests are in flight. */
const BATCH_MS = 5;

/** Sends one HTTP request (the SSRF-guarded client in production). */
export type WebhookHttp = (req: OutboundRequest) => Promise<OutboundResponse>;

/** Builds the JSON body of a delivery; null when its subject is gone (e.g. the message was deleted). */
export type PayloadBuilder = (delivery: WebhookDelivery) => Promise<string | null>;

/** What the worker needs. */
export interface WebhookWorkerDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  http: WebhookHttp;
  settings: WebhookSettings;
  payload: PayloadBuilder;
}

/** The result of one attempt. */
export interface AttemptResult {
  ok: boolean;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  /** No retry makes sense (refused target, subject gone). */
  permanent: boolean;
}

/** The worker: `start()` once the server runs, `wake()` after new outbox rows, `stop()` at shutdown. */
export class WebhookWorker {
  readonly #d: WebhookWorkerDeps;
  readonly #inflight = new Map<string, Promise<void>>();
  readonly #perHook = new Map<string, number>();
  #running = false;
  #loop: Promise<void> | null = null;
  #wakeResolve: (() => void) | null = null;
  #woken = false;

  /** @param deps store, clock, log, HTTP client, settings and the payload builder */
  constructor(deps: WebhookWorkerDeps) {
    this.#d = deps;
  }

  /** Starts the loop (idempotent). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Stops the loop and waits for requests in flight (each bounded by the HTTP timeout). */
  async stop(): Promise<void> {
    this.#running = false;
    this.wake();
    await this.#loop;
    await Promise.allSettled([...this.#inflight.values()]);
  }

  /** Tells the loop to look for due deliveries now. */
  wake(): void {
    this.#woken = true;
    this.#wakeResolve?.();
  }

  /** Requests in flight. */
  get inflight(): number {
    return this.#inflight.size;
  }

  async #run(): Promise<void> {
    const { log, settings } = this.#d;
    let lastExpire = 0;
    while (this.#running) {
      // While requests are in flight, completions wake the loop one by one: gather those of a few
      // milliseconds into one pass (one `due` query), leaving the event loop to ingest meanwhile.
      if (this.#inflight.size > 0) await new Promise((resolve) => setTimeout(resolve, BATCH_MS));
      this.#woken = false;
      let waitMs = settings.pollIntervalMs;
      try {
        const now = this.#d.clock.now();
        if (now.getTime() - lastExpire >= settings.pollIntervalMs) {
          lastExpire = now.getTime();
          const expired = await this.#d.store.webhooks.expire(now);
          if (expired > 0) log.warn("webhook deliveries expired unsent", { count: expired });
          // The delivery log keeps finished deliveries for `log_days`.
          await this.#d.store.webhooks.prune(new Date(now.getTime() - settings.logDays * 86_400_000));
        }
        // Requests started: their completions wake the loop (and it polls at the latest).
        const started = await this.#pump(now);
        const next = started > 0 ? null : await this.#d.store.webhooks.nextDue();
        if (next !== null) {
          const until = next.getTime() - this.#d.clock.now().getTime();
          // Due but held back (all slots busy): a finishing request wakes the loop.
          waitMs = until > 0 ? Math.min(until, waitMs) : this.#inflight.size > 0 ? waitMs : 1000;
        }
      } catch (e) {
        log.error("webhook worker pass failed", { error: (e as Error)?.message ?? String(e) });
        waitMs = 1000;
      }
      if (this.#running && !this.#woken) await this.#sleep(waitMs);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakeResolve = null;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.#wakeResolve = done;
    });
  }

  /** Starts what is due and has a free slot; returns how many requests it started. */
  async #pump(now: Date): Promise<number> {
    const { settings, store } = this.#d;
    const free = settings.concurrency - this.#inflight.size;
    if (free <= 0) return 0;
    const due = await store.webhooks.due(now, free + this.#inflight.size, settings.perEndpointConcurrency);
    const hooks = new Map<string, WebhookRecord | null>();
    let started = 0;
    for (const d of due) {
      if (started >= free) break;
      if (this.#inflight.has(d.id)) continue;
      if (!hooks.has(d.webhookId)) hooks.set(d.webhookId, await store.webhooks.get(d.webhookId));
      const hook = hooks.get(d.webhookId);
      if (!hook) continue;
      // Half-open circuit: one probe at a time.
      const limit = hook.pausedUntil !== null ? 1 : settings.perEndpointConcurrency;
      const busy = this.#perHook.get(hook.id) ?? 0;
      if (busy >= limit) continue;
      this.#perHook.set(hook.id, busy + 1);
      started++;
      const p = this.#deliver(d, hook).catch((e) =>
        this.#d.log.error("webhook delivery failed unexpectedly", {
          webhook_id: hook.id,
          delivery_id: d.id,
          error: (e as Error)?.message ?? String(e),
        })
      ).finally(() => {
        this.#inflight.delete(d.id);
        const n = (this.#perHook.get(hook.id) ?? 1) - 1;
        if (n <= 0) this.#perHook.delete(hook.id);
        else this.#perHook.set(hook.id, n);
        this.wake();
      });
      this.#inflight.set(d.id, p);
    }
    return started;
  }

  /** Sends one delivery now and records the attempt (also used by the tests and `tern webhook test`). */
  async attempt(d: WebhookDelivery, hook: WebhookRecord): Promise<AttemptResult> {
    const { clock } = this.#d;
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let body: string | null;
    try {
      body = await this.#d.payload(d);
    } catch (e) {
      return {
        ok: false,
        statusCode: null,
        latencyMs: elapsed(),
        error: `payload: ${(e as Error).message}`,
        permanent: false,
      };
    }
    if (body === null) {
      return { ok: false, statusCode: null, latencyMs: elapsed(), error: "subject gone", permanent: true };
    }
    return await sendSigned(this.#d.http, hook, d.id, body, clock.now(), elapsed);
  }

  async #deliver(d: WebhookDelivery, hook: WebhookRecord): Promise<void> {
    const { store, clock, log, settings } = this.#d;
    const result = await this.attempt(d, hook);
    const at = clock.now();
    const attempt = d.attempts + 1;
    const record = {
      deliveryId: d.id,
      attempt,
      at,
      statusCode: result.statusCode,
      latencyMs: result.latencyMs,
      error: result.error,
    };
    const fields = {
      webhook_id: hook.id,
      delivery_id: d.id,
      event: d.event,
      attempt,
      status_code: result.statusCode,
      latency_ms: result.latencyMs,
    };
    if (result.ok) {
      await store.webhooks.recordAttempt(record, { status: "delivered" });
      if (hook.failures > 0 || hook.pausedUntil !== null) {
        await store.webhooks.update(hook.id, { failures: 0, pausedUntil: null });
        if (hook.pausedUntil !== null) log.info("webhook circuit closed", { webhook_id: hook.id });
      }
      log.debug("webhook delivered", fields);
      return;
    }
    const next = new Date(at.getTime() + retryDelayMs(attempt, settings.retryBaseMs, settings.retryMaxMs));
    if (result.permanent || next.getTime() > d.expiresAt.getTime()) {
      await store.webhooks.recordAttempt(record, { status: "failed" });
      log.warn("webhook delivery failed", { ...fields, error: result.error });
    } else {
      await store.webhooks.recordAttempt(record, { status: "pending", nextAttemptAt: next });
      log.info("webhook delivery deferred", { ...fields, error: result.error, retry_at: next.toISOString() });
    }
    // Circuit breaker: the webhook's consecutive failures, read fresh (other requests update it too).
    const current = await store.webhooks.get(hook.id);
    if (!current) return;
    const failures = current.failures + 1;
    const wasProbe = hook.pausedUntil !== null;
    if (failures >= settings.circuitFailures || wasProbe) {
      const pausedUntil = new Date(at.getTime() + settings.circuitPauseMs);
      await store.webhooks.update(hook.id, { failures, pausedUntil });
      log.warn("webhook circuit open", {
        webhook_id: hook.id,
        failures,
        probe_at: pausedUntil.toISOString(),
      });
    } else {
      await store.webhooks.update(hook.id, { failures });
    }
  }
}

/**
 * POSTs a signed body to a webhook: Standard Webhooks headers, JSON content type. A 2xx answer is
 * success; an SSRF refusal is permanent.
 */
export async function sendSigned(
  http: WebhookHttp,
  hook: Pick<WebhookRecord, "url" | "secret">,
  id: string,
  body: string,
  now: Date,
  elapsed: () => number,
): Promise<AttemptResult> {
  try {
    const headers = sign(hook.secret, id, now.getTime() / 1000, body);
    const res = await http({
      url: hook.url,
      method: "POST",
      headers: { ...headers, "content-type": "application/json", "user-agent": "Tern-Webhooks/1" },
      body,
    });
    const ok = res.status >= 200 && res.status < 300;
    return {
      ok,
      statusCode: res.status,
      latencyMs: elapsed(),
      error: ok ? null : `HTTP ${res.status}`,
      permanent: false,
    };
  } catch (e) {
    const permanent = e instanceof OutboundHttpRefused;
    return {
      ok: false,
      statusCode: null,
      latencyMs: elapsed(),
      error: (e as Error)?.message ?? String(e),
      permanent,
    };
  }
}
