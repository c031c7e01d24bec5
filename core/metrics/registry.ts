/**
 * The server's Prometheus registry (npm `prom-client`) and its instruments: connections and
 * sessions per protocol, commands per protocol and result, deliveries, queue depth and attempts,
 * authentication failures, bans, store commit latency and HTTP request latency. One registry per
 * server (tests run several servers in one process), exposed as text by `GET /metrics`
 * (core/metrics/http.ts). Protocol code reports through the small methods here, at its choke points
 * (the listeners' connection hooks, each command dispatcher, the delivery pipeline, the store's
 * commit path, the HTTP app) or are read at scrape time (the queue's own counters, its depth, the
 * bans); nothing here is a message body,
 * a username or an address, so no label can leak a secret or grow without bound.
 *
 * @module
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { ServerHooks } from "../net/hooks.ts";
import type { Session } from "../session.ts";
import type { Store } from "../store/store.ts";
import type { QueueMetrics } from "../queue/metrics.ts";
import type { Clock } from "../clock.ts";
import type { PostDeliveryHook } from "../delivery/pipeline.ts";

/** How a command ended, protocol-neutral: 2xx/+OK/OK, 4xx/NO, 5xx/-ERR/BAD. */
export type CommandResult = "ok" | "no" | "bad" | "tempfail" | "permfail" | "error";

/** Cumulative delivery counts since start: local placements and the queue's recipient outcomes. */
export interface DeliveryTotals {
  /** Recipients placed in a mailbox here (the delivery pipeline). */
  localDelivered: number;
  /** Remote recipients delivered by the outbound queue. */
  remoteDelivered: number;
  /** Remote recipients deferred (an attempt that will be retried). */
  remoteDeferred: number;
  /** Remote recipients failed for good (bounced). */
  remoteFailed: number;
}

/** The Prometheus text exposition format's content type (version 0.0.4). */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Seconds: store commits (group commit incl. the WAL fsync) are milliseconds to a second. */
const COMMIT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Seconds: HTTP requests (JMAP, admin API). */
const HTTP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A command label: only letters, digits, space and dash, upper-cased and bounded ("OTHER" else). */
function commandLabel(verb: string): string {
  const v = verb.toUpperCase();
  return /^[A-Z][A-Z0-9 -]{0,23}$/.test(v) ? v : "OTHER";
}

/** The queue's depth at one moment. */
export interface QueueDepth {
  /** Messages in the queue. */
  messages: number;
  /** Recipients still to be delivered. */
  pending: number;
  /** Age of the oldest message (0 when empty). */
  oldestAgeSeconds: number;
  /** When the oldest message was queued, null when empty. */
  oldest: Date | null;
}

/** Reads the queue's depth from the store (shared with the health check). */
export async function readQueue(src: { store: Store; clock: Clock }): Promise<QueueDepth> {
  const rows = await src.store.queue.list();
  const now = src.clock.now().getTime();
  let oldest: number | null = null;
  for (const r of rows) oldest = Math.min(oldest ?? Infinity, r.createdAt.getTime());
  return {
    messages: rows.length,
    pending: rows.reduce((n, r) => n + r.pending, 0),
    oldestAgeSeconds: oldest === null ? 0 : Math.max(0, (now - oldest) / 1000),
    oldest: oldest === null ? null : new Date(oldest),
  };
}

/** What the registry reads at scrape time (queue depth, bans). */
export interface MetricsSources {
  store: Store;
  clock: Clock;
  /** The queue's own counters and attempt latency histogram (core/queue/metrics.ts). */
  queue?: QueueMetrics;
}

/** The instruments of one server. */
export class ServerMetrics {
  /** The prom-client registry (one per server). */
  readonly registry: Registry = new Registry();
  readonly #connections: Counter<"protocol">;
  readonly #sessions: Gauge<"protocol">;
  readonly #commands: Counter<"protocol" | "command" | "result">;
  #localDelivered = 0;
  readonly #authFailures: Counter<"protocol" | "reason">;
  readonly #bans: Counter<string>;
  readonly #commit: Histogram<string>;
  readonly #http: Histogram<"method" | "route" | "status">;
  readonly #sources: MetricsSources | null = null;
  #queueRead: Promise<QueueDepth> | null = null;

  /** @param sources what the scrape-time gauges read; without it they are left out (unit tests) */
  constructor(sources?: MetricsSources) {
    const registers = [this.registry];
    this.#sources = sources ?? null;
    this.#connections = new Counter({
      name: "tern_connections_total",
      help: "Connections accepted, per protocol (HTTP: requests).",
      labelNames: ["protocol"],
      registers,
    });
    this.#sessions = new Gauge({
      name: "tern_sessions_active",
      help: "Sessions running now, per protocol.",
      labelNames: ["protocol"],
      registers,
    });
    this.#commands = new Counter({
      name: "tern_commands_total",
      help: "Protocol commands by protocol, command and result.",
      labelNames: ["protocol", "command", "result"],
      registers,
    });
    const totals = () => this.deliveryTotals();
    new Counter({
      name: "tern_deliveries_total",
      help: "Recipients placed locally or handled by the outbound queue, by route and result.",
      labelNames: ["route", "result"],
      registers,
      collect() {
        // Read from the sources of record (the queue counts its own outcomes, untagged ones too).
        const t = totals();
        this.reset();
        this.inc({ route: "local", result: "delivered" }, t.localDelivered);
        this.inc({ route: "remote", result: "delivered" }, t.remoteDelivered);
        this.inc({ route: "remote", result: "deferred" }, t.remoteDeferred);
        this.inc({ route: "remote", result: "failed" }, t.remoteFailed);
      },
    });
    this.#authFailures = new Counter({
      name: "tern_auth_failures_total",
      help: "Failed authentications, by protocol and reason.",
      labelNames: ["protocol", "reason"],
      registers,
    });
    this.#bans = new Counter({
      name: "tern_bans_total",
      help: "Addresses banned after repeated authentication failures.",
      registers,
    });
    this.#commit = new Histogram({
      name: "tern_store_commit_seconds",
      help: "Store write transactions from start to durable commit.",
      buckets: COMMIT_BUCKETS,
      registers,
    });
    this.#http = new Histogram({
      name: "tern_http_request_duration_seconds",
      help: "HTTP request latency (JMAP, admin API), by method, route pattern and status.",
      labelNames: ["method", "route", "status"],
      buckets: HTTP_BUCKETS,
      registers,
    });
    if (sources) this.#registerSourceGauges(sources);
  }

  #registerSourceGauges(src: MetricsSources): void {
    const registers = [this.registry];
    // One read of the queue per scrape feeds its three gauges (`render` starts it).
    const queue = () => this.#queueRead ??= readQueue(src);
    new Gauge({
      name: "tern_queue_messages",
      help: "Messages in the outbound queue.",
      registers,
      async collect() {
        this.set((await queue()).messages);
      },
    });
    new Gauge({
      name: "tern_queue_recipients_pending",
      help: "Queued recipients still to be delivered (queued or deferred).",
      registers,
      async collect() {
        this.set((await queue()).pending);
      },
    });
    new Gauge({
      name: "tern_queue_oldest_age_seconds",
      help: "Age of the oldest message in the outbound queue (0 when empty).",
      registers,
      async collect() {
        this.set((await queue()).oldestAgeSeconds);
      },
    });
    new Gauge({
      name: "tern_bans_active",
      help: "Addresses banned now.",
      registers,
      async collect() {
        this.set((await src.store.bans.list(src.clock.now())).length);
      },
    });
  }

  /** A connection (or HTTP request) was accepted and its session starts. */
  sessionOpened(protocol: string): void {
    this.#connections.inc({ protocol });
    this.#sessions.inc({ protocol });
  }

  /** A session ended. */
  sessionClosed(protocol: string): void {
    this.#sessions.dec({ protocol });
  }

  /**
   * Connection hooks counting every session: composed FIRST in front of the policy hooks, so each
   * session is counted once when it starts (even one the policy then refuses) and once when it
   * ends (`onClose` runs for every session `onConnect` ran for).
   */
  hooks(): ServerHooks {
    return {
      onConnect: (s: Session) => {
        this.sessionOpened(s.protocol);
        return { allow: true };
      },
      onClose: (s: Session) => this.sessionClosed(s.protocol),
    };
  }

  /** A command finished (the verb is normalised; unknown verbs count as `OTHER`). */
  command(protocol: string, verb: string, result: CommandResult): void {
    this.#commands.inc({ protocol, command: commandLabel(verb), result });
  }

  /**
   * A JMAP request's method calls (RFC 8620 §3.3), each counted as a command of protocol `jmap`:
   * `ok` unless one of its responses is an `error` invocation. A method the server does not know
   * counts as `OTHER` (names come from the client: only known ones become labels).
   */
  jmapCalls(
    calls: readonly (readonly [string, unknown, string])[],
    responses: readonly (readonly [string, unknown, string])[],
  ): void {
    for (const [name, , callId] of calls) {
      const mine = responses.filter((r) => r[2] === callId);
      const error = mine.find((r) => r[0] === "error");
      const unknown = (error?.[1] as { type?: unknown } | undefined)?.type === "unknownMethod";
      const label = unknown || !/^[A-Za-z]{1,32}\/[a-zA-Z]{1,16}$/.test(name) ? "OTHER" : name;
      this.#commands.inc({ protocol: "jmap", command: label, result: error ? "error" : "ok" });
    }
  }

  /** Recipients placed in a mailbox here. */
  localDeliveries(count: number): void {
    if (count > 0) this.#localDelivered += count;
  }

  /** Cumulative delivery counts since start (the metrics and core/stats' daily counters read them). */
  deliveryTotals(): DeliveryTotals {
    const q = this.#sources?.queue;
    return {
      localDelivered: this.#localDelivered,
      remoteDelivered: q?.delivered ?? 0,
      remoteDeferred: q?.deferred ?? 0,
      remoteFailed: q?.failed ?? 0,
    };
  }

  /**
   * The pipeline's post-delivery hook counting local placements. Put it first in the hook list:
   * it counts synchronously, before the protocol's acknowledgement reaches the client.
   */
  deliveryHook(): PostDeliveryHook {
    return {
      name: "metrics",
      run: (d) => {
        this.localDeliveries(d.accountIds.length);
        return Promise.resolve();
      },
    };
  }

  /** An authentication failed. */
  authFailure(protocol: string, reason: string): void {
    this.#authFailures.inc({ protocol, reason: /^[a-z_]{1,32}$/.test(reason) ? reason : "other" });
  }

  /** An address was banned. */
  ban(): void {
    this.#bans.inc();
  }

  /** A store transaction committed durably after `seconds`. */
  observeCommit(seconds: number): void {
    this.#commit.observe(seconds);
  }

  /** An HTTP request was answered. `route` is the matched route pattern, never the raw path. */
  observeHttp(method: string, route: string, status: number, seconds: number): void {
    const m = /^[A-Z]{3,7}$/.test(method) ? method : "OTHER";
    this.#http.observe({ method: m, route, status: String(status) }, seconds);
  }

  /** The exposition text: the registry's metrics, then the queue's own counters. */
  async render(): Promise<string> {
    let text: string;
    try {
      text = await this.registry.metrics();
    } finally {
      this.#queueRead = null;
    }
    const queue = this.#sources?.queue;
    return queue ? `${text}\n${queue.toPrometheus()}` : text;
  }
}
