/**
 * Structured logging interface. Every line is one JSON object with `timestamp`, `level`, `message`
 * and the bound fields (`session_id`, `client_ip`, `protocol`, `username`, …). Never log a password,
 * a token or a message body.
 *
 * @module
 */

/** Fields attached to a log line. */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

/** A logger with bound fields. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose lines also carry `fields` (e.g. a session's id, IP, protocol). */
  with(fields: LogFields): Logger;
}

/** A logger that drops everything (tests, library use without logging). */
export const nullLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  with() {
    return nullLogger;
  },
};
