/**
 * Indexes large stored messages (`message_prep.ts`: MIME summary, header text, sort keys) in a
 * worker (`prepare_worker.ts`) instead of on the event loop: a 1.8 MB message of the corpus takes
 * about 9 ms to index, a 7 MB one about 21 ms, during which no session would be served. The
 * messages of one event-loop turn go to the worker as one batch (sent right after the turn's I/O,
 * as the write queue's flush) and come back as one reply. The worker is started on first use and
 * stopped when idle or by `stop` (`OnDemandWorker`).
 *
 * The result is the same as `prepareIndex` on the main thread, which is also the fallback: when
 * the worker cannot start or fails, when it is stopped meanwhile, or when `MAX_WAITING` messages
 * already wait for it (which also bounds the bytes held here).
 *
 * @module
 */
import { clearImmediate, setImmediate } from "node:timers";
import { OnDemandWorker } from "../on_demand_worker.ts";
import { type PreparedIndex, prepareIndex } from "./message_prep.ts";
import type { PrepareReply, PrepareRequest } from "./prepare_worker.ts";

/**
 * Smallest message worth the trip to the worker (bytes): the database tier's largest, so the
 * messages sent are those stored as files. Measured on a 2-vCPU Firecracker VM: each batch sent
 * wakes the worker thread, which costs the event loop 70–200 µs of CPU (600 µs under load), as
 * much as indexing a 32 KB message; SMTP ingest of 4 KB and 32 KB messages through the worker
 * used more CPU on the event loop, not less, and was slower.
 */
export const OFFLOAD_MIN = 64 * 1024;

/** Messages waiting for the worker beyond which the next ones are indexed on the caller's thread. */
const MAX_WAITING = 64;

/** A message sent to the worker: its index goes to `resolve`, or `fallback()` runs here. */
interface Waiting {
  resolve: (index: PreparedIndex) => void;
  fallback: () => void;
}

/** A worker that indexes messages for the write job. */
export class Preparer {
  readonly #worker = new OnDemandWorker<PrepareRequest, PrepareReply>(
    new URL("./prepare_worker.ts", import.meta.url),
    { reply: (r) => this.#reply(r), stopped: () => this.#stopped() },
  );
  #next = 1;
  readonly #waiting = new Map<number, Waiting>();
  /** Messages of this turn, not yet sent. */
  #batch: PrepareRequest["batch"] = [];
  #flush: ReturnType<typeof setImmediate> | null = null;
  #answered = 0;

  /** Messages waiting for the worker. */
  get pending(): number {
    return this.#waiting.size;
  }

  /** Messages the worker has indexed (not counting those indexed here instead). */
  get answered(): number {
    return this.#answered;
  }

  /**
   * `prepareIndex(raw)`, in the worker when it runs. The caller must not change `raw` until the
   * promise settles.
   */
  index(raw: Uint8Array): Promise<PreparedIndex> {
    return new Promise((resolve) => {
      const fallback = () => resolve(prepareIndex(raw));
      if (this.#waiting.size >= MAX_WAITING || !this.#worker.start()) return fallback();
      const id = this.#next++;
      this.#waiting.set(id, { resolve, fallback });
      this.#batch.push({ id, bytes: raw });
      this.#flush ??= setImmediate(() => this.#send());
    });
  }

  #send(): void {
    this.#flush = null;
    const batch = this.#batch;
    this.#batch = [];
    // Not posted when the worker stopped meanwhile: `#stopped` indexed these here.
    if (batch.length === 0 || !this.#worker.running) return;
    this.#worker.post({ batch });
  }

  #reply(reply: PrepareReply): void {
    for (const r of reply.results) {
      const entry = this.#waiting.get(r.id);
      if (!entry) continue;
      this.#waiting.delete(r.id);
      if ("error" in r) {
        entry.fallback();
      } else {
        this.#answered++;
        entry.resolve(r.index);
      }
    }
    if (this.#waiting.size === 0) this.#worker.idle();
  }

  /** Stops the worker now (messages still waiting are indexed here); the next one starts it again. */
  stop(): void {
    this.#worker.stop();
  }

  /** The worker stopped: what waited for it is indexed on this thread. */
  #stopped(): void {
    if (this.#flush !== null) clearImmediate(this.#flush);
    this.#flush = null;
    this.#batch = [];
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const { fallback } of waiting) fallback();
  }
}
