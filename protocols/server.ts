/**
 * `createServer`: wires the store, authentication, TLS, logging and every enabled listener with its
 * protocol handler, and owns the server's lifecycle (start, graceful stop, reload).
 *
 * @module
 */
import type { Config, ListenerConfig, ListenerName } from "../core/config/types.ts";
import { type Clock, type ConnectionHandler, type ServerContext, systemClock } from "../core/context.ts";
import type { Store } from "../core/store/store.ts";
import type { AuthService } from "../core/auth/types.ts";
import type { Logger } from "../core/log/logger.ts";
import { createJsonLogger } from "../core/log/json_logger.ts";
import type { Protocol } from "../core/session.ts";
import type { Transport } from "../core/net/transport.ts";
import { composeHooks, type RejectFn, type ServerHooks } from "../core/net/hooks.ts";
import { TcpListener } from "../core/net/listener.ts";
import { AcmeChallenges } from "../core/acme/challenges.ts";
import { AcmeManager } from "../core/acme/manager.ts";
import { type HttpResponder, startHttpResponder } from "../core/acme/http_responder.ts";
import { HttpListener } from "../core/net/http_listener.ts";
import { TlsProvider } from "../core/tls/provider.ts";
import { openStore } from "../core/store/open.ts";
import { createAuthService } from "../core/auth/service.ts";
import { ConnectionPolicy } from "../core/policy/connection_policy.ts";
import { type Maintenance, startMaintenance } from "../core/store/maintenance.ts";
import { type RetentionJob, startRetention } from "../core/tenancy/retention.ts";
import { startDmarcReporting } from "../core/mailauth/server.ts";
import type { ReportJob } from "../core/mailauth/dmarc_report.ts";
import { tenancyOf } from "../core/tenancy/policy.ts";
import { createQueue, type Queue } from "../core/queue/mod.ts";
import { sieveFilter } from "../core/delivery/sieve_stage.ts";
import { deliveryPipeline } from "../core/inbound/server_pipeline.ts";
import { WebhookService } from "../core/webhooks/service.ts";
import type { WebhookHttp } from "../core/webhooks/worker.ts";
import { Notifier } from "../core/notify/notifier.ts";
import { featureEnabled } from "../core/tenancy/features.ts";
import * as smtp from "./smtp/handler.ts";
import * as imap from "./imap/handler.ts";
import * as pop3 from "./pop3/handler.ts";
import * as managesieve from "./managesieve/handler.ts";
import { createHttpApp } from "./jmap/app.ts";
import { JmapReadPool } from "./jmap/read_pool.ts";
import { mountApi } from "./api/app.ts";
import { mountWeb } from "./web/app.tsx";
import { AuditLog, SYSTEM_ACTOR } from "../core/audit/audit_log.ts";
import { trackSubmissions } from "../core/jmap/submission_tracking.ts";
import { createPushDispatcher } from "../core/push/start.ts";
import type { PushHttp } from "../core/push/dispatcher.ts";
import { ServerMetrics } from "../core/metrics/registry.ts";
import { QueueMetrics } from "../core/queue/metrics.ts";
import { HealthMonitor } from "../core/health/monitor.ts";
import { DailyCounters } from "../core/stats/daily.ts";
import { listenerCertificates } from "../core/health/checks.ts";
import { resolverFor, startTlsReporting } from "../core/queue/start.ts";
import type { TlsReportJob } from "../core/tlsrpt/job.ts";
import { startSpamTraining } from "../core/spam/server.ts";
import type { JunkTrainer } from "../core/spam/trainer.ts";

/** Where a listener is bound (the real port when the configuration asked for 0). */
export interface ListenerAddress {
  /** Bound IP address. */
  hostname: string;
  /** Bound TCP port. */
  port: number;
}

/** A running (or ready to run) Tern server. */
export interface TernServer {
  /** Server-wide services (config, store, auth, log, clock). */
  readonly context: ServerContext;
  /** Bound address of every enabled listener; filled by `start()`. Disabled listeners are absent. */
  readonly addresses: Record<ListenerName, ListenerAddress>;
  /** Binds every enabled listener and starts accepting. */
  start(): Promise<void>;
  /**
   * Graceful stop: stops accepting, lets sessions finish for `graceSeconds` (default
   * `shutdown_grace`), then aborts the sessions' shutdown signal so each handler sends its goodbye,
   * closes what is left and closes the store. Idempotent; resolves when everything is closed.
   */
  stop(options?: { graceSeconds?: number }): Promise<void>;
  /**
   * Reloads TLS certificates from disk and, given a freshly loaded configuration, the settings that
   * can change live (`policy`, `tls` and listener certificate paths, `log.level` is not one of
   * them). Established connections are not dropped. Throws (keeping the old certificates) when a
   * certificate cannot be loaded.
   */
  reload(config?: Config): Promise<void>;
  /** Sessions (TCP connections and HTTP requests) currently running. */
  activeSessions(): number;
  /** The ACME certificate manager (core/acme) once started, when `[acme]` is enabled. */
  readonly acme: AcmeManager | null;
  /** The JMAP read workers (`[jmap] read_workers`, protocols/jmap/read_pool.ts) once started, or null. */
  readonly jmapReadPool?: JmapReadPool | null;
  /** Resolves once `stop()` has completed (e.g. after SIGTERM through `installSignalHandlers`). */
  readonly finished: Promise<void>;
}

/** Injection points for embedding programs and tests. */
export interface CreateServerOptions {
  /** Logger to use instead of the JSON logger configured by `[log]`. */
  logger?: Logger;
  /** The clock of record (tests); default the system clock. */
  clock?: Clock;
  /** A store to use instead of opening the SQLite store in `data_dir` (left open by `stop()`). */
  store?: Store;
  /** An authentication service to use instead of the built-in one. */
  auth?: AuthService;
  /** The HTTP client webhook deliveries use instead of the SSRF-guarded one built from config. */
  webhookHttp?: WebhookHttp;
  /** The HTTP client JMAP push deliveries use instead of the SSRF-guarded one built from config. */
  pushHttp?: PushHttp;
}

/** How long handlers get to say goodbye after the shutdown signal before connections are cut. */
const GOODBYE_MS = 5_000;

/** Keeps a refusal reason on one line of printable text (no CR/LF injection into the reply). */
function clean(reason: string): string {
  let out = "";
  for (const ch of reason) {
    const c = ch.codePointAt(0)!;
    out += c < 0x20 || c === 0x7f ? " " : ch;
  }
  return out.replace(/ +/g, " ").trim() || "Service not available";
}

async function writeAndEnd(transport: Transport, line: string): Promise<void> {
  try {
    await transport.write(line);
  } catch {
    // The client is gone already.
  }
}

/** RFC 5321 §3.1: a server may refuse service with 554 instead of the 220 greeting. */
export const smtpReject: RejectFn = (t, reason) => writeAndEnd(t, `554 5.7.1 ${clean(reason)}\r\n`);
/** RFC 9051 §7.1.5: BYE as the greeting refuses the connection. */
export const imapReject: RejectFn = (t, reason) => writeAndEnd(t, `* BYE ${clean(reason)}\r\n`);
/** RFC 1939 §4: a negative greeting. */
export const pop3Reject: RejectFn = (t, reason) => writeAndEnd(t, `-ERR ${clean(reason)}\r\n`);

/** A protocol module may export its own refusal as `rejectConnection`. */
function moduleReject(mod: object, fallback: RejectFn): RejectFn {
  const r = (mod as { rejectConnection?: unknown }).rejectConnection;
  return typeof r === "function" ? (r as RejectFn) : fallback;
}

interface TcpRegistration {
  protocol: Protocol;
  handler: (ctx: ServerContext) => ConnectionHandler;
  reject: RejectFn;
}

/** Which protocol runs on each TCP listener. */
function registrations(): Record<Exclude<ListenerName, "http">, TcpRegistration> {
  const smtpRej = moduleReject(smtp, smtpReject);
  const imapRej = moduleReject(imap, imapReject);
  const pop3Rej = moduleReject(pop3, pop3Reject);
  return {
    smtp: { protocol: "smtp", handler: (c) => smtp.createSmtpHandler(c, "smtp"), reject: smtpRej },
    submission: {
      protocol: "submission",
      handler: (c) => smtp.createSmtpHandler(c, "submission"),
      reject: smtpRej,
    },
    submissions: {
      protocol: "submissions",
      handler: (c) => smtp.createSmtpHandler(c, "submissions"),
      reject: smtpRej,
    },
    // RFC 2033: LMTP shares the SMTP engine; its refusal is an SMTP-style 554 too.
    lmtp: { protocol: "lmtp", handler: (c) => smtp.createSmtpHandler(c, "lmtp"), reject: smtpRej },
    imap: { protocol: "imap", handler: (c) => imap.createImapHandler(c), reject: imapRej },
    imaps: { protocol: "imap", handler: (c) => imap.createImapHandler(c), reject: imapRej },
    pop3: { protocol: "pop3", handler: (c) => pop3.createPop3Handler(c), reject: pop3Rej },
    pop3s: { protocol: "pop3", handler: (c) => pop3.createPop3Handler(c), reject: pop3Rej },
    // RFC 5804: Sieve script management (protocols/managesieve).
    managesieve: {
      protocol: "managesieve",
      handler: (c) => managesieve.createManageSieveHandler(c),
      reject: managesieve.rejectConnection,
    },
  };
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Waits for `p` at most `ms` milliseconds; true when `p` settled in time. */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  const stop = new AbortController();
  let settled = false;
  const watched = p.then(() => (settled = true), () => (settled = true));
  await Promise.race([watched, delay(ms, stop.signal)]);
  stop.abort();
  return settled;
}

/**
 * Creates a server from a validated configuration: opens the store in `data_dir`, creates the
 * authentication service, makes sure `local_domains` exist and prepares TLS certificates (a
 * self-signed one in `<data_dir>/tls/` when none is configured). Call `start()` to listen.
 *
 * @example
 * ```ts ignore
 * import { createServer } from "./server.ts";
 * import { testConfig } from "../core/config/test_config.ts";
 * const dir = await Deno.makeTempDir();
 * const srv = await createServer(testConfig(dir));
 * await srv.start();
 * console.log(srv.addresses.smtp.port > 0); // true
 * await srv.stop();
 * ```
 */
export async function createServer(
  config: Config,
  hooks?: ServerHooks,
  options: CreateServerOptions = {},
): Promise<TernServer> {
  const clock = options.clock ?? systemClock;
  const logHandle = options.logger ? null : createJsonLogger(config.log);
  const log = options.logger ?? logHandle!.logger;
  let store: Store | null = null;
  try {
    await Deno.mkdir(config.data_dir, { recursive: true });
    const tls = await TlsProvider.create(config, clock);
    const opened: Store = options.store ?? await openStore(config, clock);
    store = opened;
    for (const domain of config.local_domains) {
      if (!(await opened.isLocalDomain(domain))) await opened.addDomain(domain);
    }
    // Built-in connection policies (issue: connection policy); bans live in the store so the
    // CLI can list and clear them while the server runs.
    const policy = new ConnectionPolicy(config, {
      clock,
      log,
      bans: opened.bans,
      // Bans are security events of the audit log (core/audit).
      onBan: async (ban) => {
        await new AuditLog(opened.audit, clock, log).security(SYSTEM_ACTOR, {
          action: "policy.ban",
          target: ban.address,
          after: { until: ban.until.toISOString(), reason: ban.reason },
        });
      },
    });
    await policy.loadBans();
    // Prometheus instruments (core/metrics): the queue's counters are the queue's own.
    const queueMetrics = new QueueMetrics();
    const metrics = new ServerMetrics({ store: opened, clock, queue: queueMetrics });
    opened.observeCommits?.((seconds) => metrics.observeCommit(seconds));
    // Component checks and their periodic history (core/health); started with the listeners.
    const health = new HealthMonitor({
      config,
      store: opened,
      clock,
      dns: resolverFor(config),
      certificates: () => listenerCertificates(config, tls),
    }, log.with({ component: "health" }));
    // Deliveries and bounces per day for /admin/stats (core/stats), from the counters above.
    const dailyCounters = new DailyCounters({
      store: opened,
      clock,
      log,
      totals: () => metrics.deliveryTotals(),
    });
    const auth = options.auth ?? createAuthService(opened, config, clock, {
      // Every failed login counts towards the ban, refused ones ("throttled": the account or IP is
      // locked out) included: otherwise the lockout (auth.lockout_failures) stops the count before
      // policy.ban_failures is reached.
      onFailure: (ctx, _username, reason) => {
        metrics.authFailure(ctx.protocol, reason);
        policy.recordAuthFailure(ctx.remoteAddress).then((ban) => ban && metrics.ban()).catch((err) =>
          log.error("recording an authentication failure failed", {
            error: (err as Error)?.message ?? String(err),
          })
        );
      },
    });
    // The outbound queue (its records in the store): SMTP relay/submission and JMAP
    // EmailSubmission hand remote recipients to it.
    const outbound = createQueue({ config, store: opened, log, clock }, {
      metrics: queueMetrics,
      // DSNs the queue hands to local mailboxes are filtered like any delivery (Sieve, issue 20).
      filter: sieveFilter({ config, store: opened, log, clock }, () => deliveryPipeline(context)),
    });
    // Webhooks (core/webhooks), allowed by the plan's `webhooks` feature (core/tenancy), and the
    // notifications (core/notify), which also go out as webhook events.
    const webhooks = await WebhookService.create({
      config,
      store: opened,
      clock,
      log,
      http: options.webhookHttp,
      gate: (accountId) => featureEnabled({ store: opened, clock, log }, { accountId }, "webhooks"),
    });
    const notify = new Notifier({ config, store: opened, clock, log, webhooks });
    outbound.onRecipientOutcome((o) => {
      if (o.status !== "deferred") notify.recordOutcome(o.status === "failed");
    });
    // JMAP EmailSubmission deliveryStatus/undoStatus follow the queue's recipient outcomes.
    trackSubmissions(outbound, opened, log);
    // JMAP PushSubscription deliveries (RFC 8620 §7.2).
    const push = createPushDispatcher({ config, store: opened, log, clock }, options.pushHttp);
    // ACME challenges (core/acme) answered by the HTTP listener, when [acme] is enabled.
    const acme = config.acme.enabled ? new AcmeChallenges() : undefined;
    const context: ServerContext = {
      config,
      store: opened,
      auth,
      log,
      clock,
      policy,
      outbound,
      metrics,
      health,
      dailyCounters,
      push,
      webhooks,
      notify,
      acme,
    };
    // The metrics hooks come first: every session is counted, the ones the policy refuses too.
    return new Server(context, composeHooks(metrics.hooks(), policy.hooks(), hooks), tls, {
      closeStore: options.store ? null : store,
      closeLog: logHandle ? () => logHandle.close() : null,
    });
  } catch (err) {
    if (store && !options.store) await store.close().catch(() => {});
    logHandle?.close();
    throw err;
  }
}

class Server implements TernServer {
  readonly context: ServerContext;
  readonly addresses = {} as Record<ListenerName, ListenerAddress>;
  readonly #hooks: ServerHooks;
  readonly #tls: TlsProvider;
  readonly #shutdown = new AbortController();
  readonly #tcp: TcpListener<ServerContext>[] = [];
  #http: HttpListener | null = null;
  /** Worker threads answering read-only JMAP requests (issue 24), stopped after the HTTP listener. */
  jmapReadPool: JmapReadPool | null = null;
  #started = false;
  #stopping: Promise<void> | null = null;
  readonly finished: Promise<void>;
  #resolveFinished!: () => void;
  readonly #cleanup: { closeStore: Store | null; closeLog: (() => void) | null };
  #maintenance: Maintenance | null = null;
  #retention: RetentionJob | null = null;
  /** Keeps the ACME certificate current (`[acme]`); reloads the TLS listeners after an issue. */
  acme: AcmeManager | null = null;
  #acmeHttp: HttpResponder | null = null;
  /** Daily DMARC aggregate reports (core/mailauth), when `[smtp.checks] dmarc_reports` is on. */
  #dmarcReports: ReportJob | null = null;
  /** Daily TLS-RPT reports (RFC 8460, core/tlsrpt). */
  #tlsReports: TlsReportJob | null = null;
  #junkTrainer: JunkTrainer | null = null;

  constructor(
    context: ServerContext,
    hooks: ServerHooks,
    tls: TlsProvider,
    cleanup: { closeStore: Store | null; closeLog: (() => void) | null },
  ) {
    this.context = context;
    this.#hooks = hooks;
    this.#tls = tls;
    this.#cleanup = cleanup;
    this.finished = new Promise((resolve) => (this.#resolveFinished = resolve));
  }

  async start(): Promise<void> {
    if (this.#started) throw new Error("Server already started");
    if (this.#stopping) throw new Error("Server is stopped");
    this.#started = true;
    const regs = registrations();
    const listeners = this.context.config.listeners;
    try {
      for (const [name, lc] of Object.entries(listeners) as [ListenerName, ListenerConfig][]) {
        if (!lc.enabled) continue;
        if (name === "http") {
          this.jmapReadPool = JmapReadPool.forServer(this.context);
          const readPool = this.jmapReadPool;
          const http = new HttpListener({
            config: lc,
            server: this.context,
            // JMAP, the admin API under /api/v1 (protocols/api) and the web UI (protocols/web).
            app: mountWeb(mountApi(createHttpApp(this.context, { readPool }), this.context), this.context),
            hooks: this.#hooks,
            tls: this.#tls.forListener(name),
            shutdown: this.#shutdown.signal,
          });
          // Set before binding, so a failed start still stops what it bound.
          this.#http = http;
          this.addresses[name] = await http.start();
          continue;
        }
        const reg = regs[name as Exclude<ListenerName, "http">] as TcpRegistration | undefined;
        if (!reg) throw new Error(`No protocol handler for listener "${name}"`);
        const l = new TcpListener({
          name,
          protocol: reg.protocol,
          config: lc,
          server: this.context,
          handler: reg.handler(this.context),
          reject: reg.reject,
          hooks: this.#hooks,
          tls: this.#tls.forListener(name),
          shutdown: this.#shutdown.signal,
        });
        this.addresses[name] = l.start();
        this.#tcp.push(l);
      }
    } catch (err) {
      // A port in use or a bad address: undo what was bound.
      await this.stop({ graceSeconds: 0 });
      throw err;
    }
    this.#maintenance = startMaintenance(this.context.store, this.context.log);
    this.context.health?.start();
    this.context.dailyCounters?.start();
    // Issue 16: plans' retention, hourly.
    this.#retention = startRetention(this.context);
    if (this.context.config.acme.enabled && this.context.acme) {
      this.acme = new AcmeManager({
        config: this.context.config,
        clock: this.context.clock,
        log: this.context.log.with({ component: "acme" }),
        challenges: this.context.acme,
        localDomains: async () => (await this.context.store.listDomains()).map((d) => d.name),
        onIssued: () => this.reload(),
      });
      // HTTP-01: the CA fetches the challenge from port 80 (or [acme] http_port).
      const port = this.context.config.acme.http_port;
      if (port > 0 && port !== this.addresses.http?.port) {
        try {
          this.#acmeHttp = await startHttpResponder(this.context.acme, {
            address: this.context.config.listeners.http.address,
            port,
            httpsPort: this.addresses.http?.port,
            log: this.context.log.with({ component: "acme" }),
          });
        } catch (err) {
          // The certificate checks go on (and fail, logged) until the port can be bound.
          this.context.log.error("the ACME HTTP-01 responder cannot listen", {
            port,
            error: (err as Error).message,
          });
        }
      }
      this.acme.start();
    }
    this.#dmarcReports = startDmarcReporting(this.context);
    this.#tlsReports = startTlsReporting(this.context);
    // The junk filter learns from users moving mail into and out of Junk (core/spam).
    this.#junkTrainer = startSpamTraining(this.context);
    (this.context.outbound as Queue | undefined)?.start();
    this.context.webhooks?.start();
    this.context.notify?.start();
    await this.context.push?.start();
    this.context.log.info("server started", { hostname: this.context.config.hostname });
  }

  activeSessions(): number {
    return this.#tcp.reduce((n, l) => n + l.activeSessions, 0) + (this.#http?.activeSessions ?? 0);
  }

  stop(options: { graceSeconds?: number } = {}): Promise<void> {
    this.#stopping ??= this.#stop(options.graceSeconds ?? this.context.config.shutdown_grace)
      .finally(() => this.#resolveFinished());
    return this.#stopping;
  }

  async #stop(graceSeconds: number): Promise<void> {
    const log = this.context.log;
    log.info("server stopping", { active_sessions: this.activeSessions(), grace_seconds: graceSeconds });
    await Promise.all(this.#tcp.map((l) => l.stopAccepting()));
    const httpStopped = this.#http?.stop() ?? Promise.resolve();
    const drained = () =>
      Promise.all([...this.#tcp.map((l) => l.drained()), this.#http?.drained(), httpStopped]);
    if (!(await within(drained(), Math.max(0, graceSeconds) * 1000))) {
      log.info("shutdown grace period over", { active_sessions: this.activeSessions() });
      this.#shutdown.abort();
      if (!(await within(drained(), GOODBYE_MS))) {
        log.warn("closing sessions that did not end", { active_sessions: this.activeSessions() });
        for (const l of this.#tcp) l.closeAll();
      }
    }
    this.#shutdown.abort();
    if (!(await within(drained(), GOODBYE_MS))) {
      // Only an HTTP response that ignores the shutdown signal can still be running here.
      log.error("sessions still running after shutdown; closing anyway", {
        active_sessions: this.activeSessions(),
      });
    }
    // No API request is left running: the read workers close their store connections.
    await this.jmapReadPool?.close();
    await this.#maintenance?.stop();
    await this.context.health?.stop();
    await this.#retention?.stop();
    this.acme?.stop();
    await this.#acmeHttp?.close();
    await this.#dmarcReports?.stop();
    await this.#tlsReports?.stop();
    await this.#junkTrainer?.stop();
    // Usage counted but not written yet (core/tenancy/usage.ts) goes in before the store closes.
    await tenancyOf(this.context).close().catch((err) =>
      log.error("writing usage failed", { error: (err as Error).message })
    );
    await this.context.notify?.stop();
    await this.context.webhooks?.stop();
    await this.context.push?.stop();
    await (this.context.outbound as Queue | undefined)?.stop({ graceMs: graceSeconds * 1000 });
    // The day's deliveries counted since the last write (the queue has stopped counting).
    await this.context.dailyCounters?.stop();
    if (this.#cleanup.closeStore) {
      await this.#cleanup.closeStore.close().catch((err) =>
        log.error("closing the store failed", { error: (err as Error).message })
      );
    }
    log.info("server stopped");
    this.#cleanup.closeLog?.();
  }

  async reload(config?: Config): Promise<void> {
    const live = this.context.config;
    if (config) {
      // Only what can change without re-binding: policy, certificate paths.
      live.policy = structuredClone(config.policy);
      live.tls = structuredClone(config.tls);
      for (const name of Object.keys(live.listeners) as ListenerName[]) {
        const next = config.listeners[name];
        const cur = live.listeners[name];
        if (next.cert) cur.cert = next.cert;
        else delete cur.cert;
        if (next.key) cur.key = next.key;
        else delete cur.key;
      }
    }
    try {
      await this.#tls.reload();
      // HTTPS (node:https) takes the reloaded certificate and jmap.client_ca for new handshakes.
      await this.#http?.reloadTls();
    } catch (err) {
      this.context.log.error("TLS reload failed; keeping the current certificates", {
        error: (err as Error).message,
      });
      throw err;
    }
    await this.#hooks.onReload?.(live);
    this.context.log.info("configuration reloaded");
  }
}

/**
 * Wires process signals to a server (for `main.ts serve`): the first SIGINT/SIGTERM stops it
 * gracefully (`srv.finished` resolves when done; the caller exits 0). A second one during the
 * grace period (`shutdown_grace`) is ignored, because one Ctrl-C under `deno task start` reaches
 * the process twice (from the terminal and from the task runner, both in the process group); a
 * third one, or a second one after the grace period, exits with 1 at once. SIGHUP reloads
 * certificates, and with `loadConfig` also the policy settings. The handlers are removed when the
 * server has stopped; the returned function removes them earlier.
 *
 * @example
 * ```ts ignore
 * const srv = await createServer(config);
 * await srv.start();
 * installSignalHandlers(srv, { loadConfig: () => loadConfig(path) });
 * await srv.finished;
 * ```
 */
export function installSignalHandlers(
  srv: TernServer,
  options: {
    loadConfig?: () => Promise<Config>;
    /** Told when a stop begins (the first stop signal). */
    onStopping?: () => void;
    /** Told when a SIGHUP reload begins. */
    onReloading?: () => void;
    /** Told when a SIGHUP reload has ended, whether it applied or failed. */
    onReloaded?: () => void;
  } = {},
): () => void {
  let signals = 0;
  let firstAt = 0;
  const onStop = () => {
    signals++;
    if (signals > 1) {
      const graceMs = srv.context.config.shutdown_grace * 1000;
      if (signals >= 3 || Date.now() - firstAt > graceMs) Deno.exit(1);
      srv.context.log.info("second stop signal ignored during the grace period", {
        hint: "send it again to exit at once",
      });
      return;
    }
    firstAt = Date.now();
    options.onStopping?.();
    srv.stop().catch((err) => srv.context.log.error("shutdown failed", { error: (err as Error).message }));
  };
  const onHup = () => {
    options.onReloading?.();
    (async () => {
      const config = options.loadConfig ? await options.loadConfig() : undefined;
      await srv.reload(config);
    })().catch((err) => srv.context.log.error("reload failed", { error: (err as Error).message }))
      .finally(() => options.onReloaded?.());
  };
  // Windows knows only SIGINT and SIGBREAK; registering SIGTERM or SIGHUP there throws at startup.
  const handlers: [Deno.Signal, () => void][] = Deno.build.os === "windows"
    ? [["SIGINT", onStop], ["SIGBREAK", onStop]]
    : [["SIGINT", onStop], ["SIGTERM", onStop], ["SIGHUP", onHup]];
  for (const [sig, fn] of handlers) Deno.addSignalListener(sig, fn);
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    for (const [sig, fn] of handlers) Deno.removeSignalListener(sig, fn);
  };
  srv.finished.then(remove);
  return remove;
}
