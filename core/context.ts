/**
 * What every protocol handler is given: the server-wide services and, per connection, its transport,
 * session, logger and shutdown signal.
 *
 * @module
 */
import type { Config } from "./config/types.ts";
import type { Store } from "./store/store.ts";
import type { AuthService } from "./auth/types.ts";
import type { Logger } from "./log/logger.ts";
import type { Connection } from "./net/connection.ts";
import type { OutboundQueue } from "./delivery/outbound.ts";
import type { ConnectionPolicy } from "./policy/connection_policy.ts";
import type { PushDispatcher } from "./push/dispatcher.ts";
import type { ServerMetrics } from "./metrics/registry.ts";
import type { HealthMonitor } from "./health/monitor.ts";
import type { DailyCounters } from "./stats/daily.ts";
import type { WebhookService } from "./webhooks/service.ts";
import type { Notifier } from "./notify/notifier.ts";

import type { AcmeChallenges } from "./acme/challenges.ts";
import type { Clock } from "./clock.ts";

/** Re-exported from core/clock.ts, where the clock lives. */
export { type Clock, systemClock } from "./clock.ts";

/** Server-wide services shared by all protocols. */
export interface ServerContext {
  readonly config: Config;
  readonly store: Store;
  readonly auth: AuthService;
  readonly log: Logger;
  readonly clock: Clock;
  /** The built-in connection policies (bans, per-IP limits); absent in bare unit-test contexts. */
  readonly policy?: ConnectionPolicy;
  /**
   * The outbound queue (core/queue, created by `startQueue`); SMTP relay and JMAP EmailSubmission
   * hand non-local recipients to it. Named `outbound` as in core/delivery/outbound.ts
   * (`WithOutboundQueue`), which SMTP and JMAP already read.
   */
  readonly outbound?: OutboundQueue;
  /** JMAP PushSubscription delivery (core/push); absent in bare unit-test contexts. */
  readonly push?: PushDispatcher;
  /** ACME challenges being answered (core/acme); present when `[acme]` is enabled. */
  readonly acme?: AcmeChallenges;
  /** The server's Prometheus instruments (core/metrics); absent in bare unit-test contexts. */
  readonly metrics?: ServerMetrics;
  /** The server's health checks and their periodic history (core/health). */
  readonly health?: HealthMonitor;
  /** Deliveries and bounces per day, written to `Store.dailyCounters` (core/stats). */
  readonly dailyCounters?: DailyCounters;
  /** Webhooks: outbox, delivery worker, attachment links (core/webhooks); absent in bare unit-test contexts. */
  readonly webhooks?: WebhookService;
  /** Notifications to users and admins (core/notify); absent in bare unit-test contexts. */
  readonly notify?: Notifier;
}

/**
 * Per-connection context handed to a protocol's connection handler: transport, session, logger,
 * listener, shutdown signal and these server-wide services (the shape is core/net/connection.ts's).
 */
export type ConnectionContext = Connection<ServerContext>;

/** A protocol's connection handler: runs one session to its end; must never throw. */
export type ConnectionHandler = (conn: ConnectionContext) => Promise<void>;
