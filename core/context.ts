/**
 * What every protocol handler is given: the server-wide services and, per connection, its transport,
 * session, logger and shutdown signal.
 *
 * @module
 */
import type { Config, ListenerConfig, ListenerName } from "./config/types.ts";
import type { Store } from "./store/store.ts";
import type { AuthService } from "./auth/types.ts";
import type { Logger } from "./log/logger.ts";
import type { Transport } from "./net/transport.ts";
import type { Session } from "./session.ts";
import type { OutboundQueue } from "./delivery/outbound.ts";
import type { ConnectionPolicy } from "./policy/connection_policy.ts";

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
}

/** Per-connection context handed to a protocol's connection handler. */
export interface ConnectionContext {
  readonly server: ServerContext;
  readonly transport: Transport;
  readonly session: Session;
  /** Logger bound to session_id, client_ip, protocol (and username once set through `setUser`). */
  readonly log: Logger;
  readonly listenerName: ListenerName;
  readonly listener: ListenerConfig;
  /**
   * Aborted when the server's shutdown grace period is over: the handler must send its protocol's
   * goodbye (SMTP 421, IMAP `* BYE`, POP3 `-ERR`) and return.
   */
  readonly shutdown: AbortSignal;
  /** Records the authenticated user on the session and the logger. */
  setUser(username: string): void;
}

/** A protocol's connection handler: runs one session to its end; must never throw. */
export type ConnectionHandler = (conn: ConnectionContext) => Promise<void>;
