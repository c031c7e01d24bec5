/**
 * Caps on concurrent push streams (EventSource, RFC 8620 §7.3, and JMAP WebSocket, RFC 8887) per
 * account (`jmap.max_streams_per_account`) and per client IP (`jmap.max_streams_per_ip`, IPv6 by
 * /64). Each stream holds a connection and a notifier subscription for as long as the client
 * keeps it, so both are bounded. Pure bookkeeping.
 *
 * @module
 */
import { addressKey } from "../../core/syntax/address_key.ts";

/** Which limit refused a stream (the name of the `limit` in the problem, RFC 8620 §3.6.1). */
export type StreamLimitName = "maxStreamsPerAccount" | "maxStreamsPerIp";

/** Counts open push streams per account and per address. */
export class StreamLimits {
  readonly #limits: () => { perAccount: number; perAddress: number };
  readonly #accounts = new Map<string, number>();
  readonly #addresses = new Map<string, number>();

  /** @param limits the current caps (read on every new stream) */
  constructor(limits: () => { perAccount: number; perAddress: number }) {
    this.#limits = limits;
  }

  /**
   * Takes a slot for a new stream, or names the limit that refuses it. Call `release` once the
   * stream has ended (more calls do nothing).
   */
  acquire(accountId: string, remoteAddress: string): { release: () => void } | { refused: StreamLimitName } {
    const { perAccount, perAddress } = this.#limits();
    const address = addressKey(remoteAddress);
    if ((this.#accounts.get(accountId) ?? 0) >= perAccount) return { refused: "maxStreamsPerAccount" };
    if ((this.#addresses.get(address) ?? 0) >= perAddress) return { refused: "maxStreamsPerIp" };
    bump(this.#accounts, accountId, 1);
    bump(this.#addresses, address, 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        bump(this.#accounts, accountId, -1);
        bump(this.#addresses, address, -1);
      },
    };
  }
}

function bump(map: Map<string, number>, key: string, by: number): void {
  const n = (map.get(key) ?? 0) + by;
  if (n <= 0) map.delete(key);
  else map.set(key, n);
}
