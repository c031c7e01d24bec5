/**
 * The logger of one session: bound to `session_id`, `client_ip`, `protocol` and `listener`, and to
 * `username` once the session has authenticated.
 *
 * @module
 */
import type { LogFields, Logger } from "./logger.ts";
import type { Session } from "../session.ts";

/** A logger for one session whose bound username can be set after login. */
export class SessionLogger implements Logger {
  #inner: Logger;
  readonly #base: Logger;

  /** Binds `base` to the session's identifying fields. */
  constructor(base: Logger, session: Session) {
    this.#base = base.with({
      session_id: session.id,
      client_ip: session.remoteAddress,
      protocol: session.protocol,
      listener: session.listener,
    });
    this.#inner = this.#base;
  }

  /** Adds `username` to every later line. */
  setUser(username: string): void {
    this.#inner = this.#base.with({ username });
  }

  /** Logs at debug level with the session's fields. */
  debug(message: string, fields?: LogFields): void {
    this.#inner.debug(message, fields);
  }
  /** Logs at info level with the session's fields. */
  info(message: string, fields?: LogFields): void {
    this.#inner.info(message, fields);
  }
  /** Logs at warn level with the session's fields. */
  warn(message: string, fields?: LogFields): void {
    this.#inner.warn(message, fields);
  }
  /** Logs at error level with the session's fields. */
  error(message: string, fields?: LogFields): void {
    this.#inner.error(message, fields);
  }
  /** A logger with the session's fields (and username, if set now) plus `fields`. */
  with(fields: LogFields): Logger {
    return this.#inner.with(fields);
  }
}
