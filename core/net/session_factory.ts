/**
 * Creates the `Session` object of a new connection or HTTP request.
 *
 * @module
 */
import type { Protocol, Session } from "../session.ts";
import type { Clock } from "../clock.ts";

/** Addresses of the two ends of a connection. */
export interface Endpoints {
  /** Client IP address. */
  remoteAddress: string;
  /** Client port. */
  remotePort: number;
  /** Local IP address. */
  localAddress: string;
  /** Local port. */
  localPort: number;
}

/** A fresh session with a UUID v4 id in state "connected". */
export function newSession(
  protocol: Protocol,
  listener: string,
  ends: Endpoints,
  secure: boolean,
  clock: Clock,
): Session {
  return {
    id: crypto.randomUUID(),
    protocol,
    listener,
    remoteAddress: ends.remoteAddress,
    remotePort: ends.remotePort,
    localAddress: ends.localAddress,
    localPort: ends.localPort,
    created: clock.now(),
    secure,
    state: "connected",
  };
}
