/**
 * Connection accounting of the HTTP listener: TCP connections (not requests) counted against the
 * listener's `max_connections` and, per client IP (IPv6 by /64, as the policy and the auth
 * throttle count), against `policy.max_connections_per_ip`. A keep-alive connection or a push
 * stream holds its slot until it closes. Pure bookkeeping: no sockets, no timers.
 *
 * @module
 */
import { addressKey } from "../syntax/address_key.ts";

/** Why a connection is refused, if it is. */
export type Admission = "ok" | "listener" | "address";

/** The limits, read on every new connection (so a SIGHUP reload applies to the next one). */
export interface ConnectionLimits {
  /** `listeners.http.max_connections`. */
  maxConnections: number;
  /** `policy.max_connections_per_ip`; 0 means no per-address limit. */
  maxPerAddress: number;
}

/** Counts open connections in total and per client address. */
export class ConnectionCounter {
  readonly #limits: () => ConnectionLimits;
  readonly #perKey = new Map<string, number>();
  #total = 0;

  /** @param limits the current limits (called on every admission) */
  constructor(limits: () => ConnectionLimits) {
    this.#limits = limits;
  }

  /** Open connections. */
  get total(): number {
    return this.#total;
  }

  /** Open connections from an address (its /64 for IPv6). */
  from(remoteAddress: string): number {
    return this.#perKey.get(keyOf(remoteAddress)) ?? 0;
  }

  /**
   * Admits a new connection from `remoteAddress` or says which limit refuses it. An admitted
   * connection gets a release function: call it when the connection ends (more calls do nothing).
   */
  admit(
    remoteAddress: string,
  ): { admission: "ok"; release: () => void } | { admission: "listener" | "address" } {
    const { maxConnections, maxPerAddress } = this.#limits();
    if (this.#total >= maxConnections) return { admission: "listener" };
    const key = keyOf(remoteAddress);
    const n = this.#perKey.get(key) ?? 0;
    if (maxPerAddress > 0 && n >= maxPerAddress) return { admission: "address" };
    this.#perKey.set(key, n + 1);
    this.#total++;
    let released = false;
    return {
      admission: "ok",
      release: () => {
        if (released) return;
        released = true;
        this.#total--;
        const left = (this.#perKey.get(key) ?? 1) - 1;
        if (left <= 0) this.#perKey.delete(key);
        else this.#perKey.set(key, left);
      },
    };
  }
}

function keyOf(ip: string): string {
  return /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ip) ? ip : addressKey(ip);
}
