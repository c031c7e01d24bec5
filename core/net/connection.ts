/**
 * What a listener hands each accepted connection's handler, generic over the server's services so
 * that core/net never names `ServerContext` (core/context.ts defines `ConnectionContext` as
 * `Connection<ServerContext>`): the listeners sit below the context, not beside it.
 *
 * @module
 */
import type { ListenerConfig, ListenerName } from "../config/types.ts";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { Session } from "../session.ts";
import type { Transport } from "./transport.ts";

/** The server-wide services a listener itself reads (a `ServerContext` has them). */
export interface ListenerServer {
  readonly log: Logger;
  readonly clock: Clock;
}

/** Per-connection context handed to a protocol's connection handler; `S` is the server's services. */
export interface Connection<S> {
  readonly server: S;
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
