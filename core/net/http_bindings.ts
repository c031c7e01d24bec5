/**
 * What the runtime passes to the HTTP app for every request (Hono: `c.env`), so JMAP and the admin
 * API log with the request's session and stop long-lived responses (push) at shutdown.
 *
 * @module
 */
import type { Logger } from "../log/logger.ts";
import type { Session } from "../session.ts";

/** Per-request bindings: use `new Hono<{ Bindings: HttpBindings }>()` and read `c.env`. */
export interface HttpBindings {
  /** The request's session (protocol "http"); its id is also sent back as `X-Session-Id`. */
  session: Session;
  /** Logger bound to session_id, client_ip, protocol (and username after `setUser`). */
  log: Logger;
  /** Aborted when the shutdown grace period is over: end event streams and long polls. */
  shutdown: AbortSignal;
  /** Records the authenticated user on the session and the logger. */
  setUser(username: string): void;
}

/** Response header carrying the session id of an HTTP request. */
export const SESSION_ID_HEADER = "X-Session-Id";
