/**
 * The queue's TLS results into `Store.tlsrpt` (RFC 8460): each MX connection's outcome counted
 * for its policy domain and UTC day. The queue calls `record` synchronously; the write goes on in
 * the background, and `settle()` waits for the writes in flight (tests, shutdown).
 *
 * @module
 */
import type { Logger } from "../log/logger.ts";
import type { Store } from "../store/store.ts";
import type { TlsResult, TlsResultSink } from "./result.ts";

/** "YYYY-MM-DD" of `d` in UTC. */
export function utcDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Counts TLS results in the store. */
export class TlsRptRecorder implements TlsResultSink {
  readonly #store: Store;
  readonly #log: Logger;
  readonly #pending = new Set<Promise<void>>();

  /** @param store where counts go; @param log for write failures */
  constructor(store: Store, log: Logger) {
    this.#store = store;
    this.#log = log;
  }

  /** Counts one result (in the background). */
  record(r: TlsResult): void {
    const p: Promise<void> = this.#store.tlsrpt.record(utcDay(r.at), r.policyDomain, {
      policyType: r.policyType,
      policyStrings: r.policyStrings,
      mxHost: r.mxHost,
      result: r.failure,
      receivingIp: r.receivingIp,
      reason: r.reason ?? null,
    }).catch((e) => this.#log.warn("tls result not counted", { error: (e as Error).message }))
      .finally(() => this.#pending.delete(p));
    this.#pending.add(p);
  }

  /** Waits for the counts being written. */
  async settle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }
}
