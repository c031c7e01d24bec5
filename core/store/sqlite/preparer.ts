/**
 * Prepares delivered messages (`message_prep.ts`: SHA-256, deflate, MIME summary and index) in a
 * worker (`prepare_worker.ts`), so that the event loop of a busy SMTP/LMTP ingest does only the
 * SQL of each delivery; or indexes the bytes of a blob already stored. The store sends messages
 * of at least `OFFLOAD_MIN` bytes. The messages of one event-loop turn go to the worker as one batch (sent
 * right after the turn's I/O, as the write queue's flush), and come back as one reply. The worker
 * is started on first use and stopped after `IDLE_MS` without work (a running worker would keep a
 * CLI process alive) or by `stop`.
 *
 * The result is the same as `prepareMessage` on the main thread, which is also the fallback: when
 * the worker cannot start or fails, when it is stopped meanwhile, or when `MAX_WAITING` messages
 * already wait for it (which also bounds the bytes held here).
 *
 * @module
 */
import { clearImmediate, setImmediate } from "node:timers";
import { type PreparedIndex, type PreparedMessage, prepareIndex, prepareMessage } from "./message_prep.ts";
import type { PrepareReply, PrepareRequest, PrepareResult } from "./prepare_worker.ts";

/**
 * Smallest message worth the trip to the worker (bytes). Each batch sent wakes the worker thread,
 * which costs the event loop 70–200 µs of CPU on a virtual machine (measured: Firecracker, 2
 * vCPUs), about what preparing a 4 KB message costs (~110 µs); from 8 KiB (deflate starts at
 * `COMPRESS_MIN`) a message costs 350 µs to over 1 ms.
 */
export const OFFLOAD_MIN = 8 * 1024;

/** Idle time after which the worker is stopped (milliseconds). */
const IDLE_MS = 5_000;
/** Messages waiting for the worker beyond which the next ones are prepared on the caller's thread. */
const MAX_WAITING = 256;

/** A message sent to the worker: its result goes to `done`, or `fallback()` runs here. */
interface Waiting {
  done: (r: PrepareResult) => void;
  fallback: () => void;
}

/** A worker that prepares messages for the write job. */
export class Preparer {
  #worker: Worker | null = null;
  #next = 1;
  readonly #waiting = new Map<number, Waiting>();
  /** Messages of this turn, not yet sent. */
  #batch: PrepareRequest["batch"] = [];
  #flush: ReturnType<typeof setImmediate> | null = null;
  #idle: ReturnType<typeof setTimeout> | null = null;
  #failed = false;
  #answered = 0;

  /** Messages waiting for the worker. */
  get pending(): number {
    return this.#waiting.size;
  }

  /** Messages the worker has prepared (not counting those prepared here instead). */
  get answered(): number {
    return this.#answered;
  }

  /** `prepareMessage` of a copy of `raw` (the result's `bytes`), in the worker when it runs. */
  prepare(raw: Uint8Array): Promise<PreparedMessage> {
    const bytes = raw.slice();
    return new Promise((resolve) => {
      const fallback = () => resolve(prepareMessage(bytes));
      const sent = this.#post(bytes, false, fallback, (r) => {
        if ("error" in r || !("blobId" in r)) return fallback();
        resolve({
          blobId: r.blobId,
          bytes,
          packed: r.packed === null ? { data: bytes, rawSize: null } : { data: r.packed, rawSize: r.rawSize },
          index: r.index,
        });
      });
      if (!sent) fallback();
    });
  }

  /**
   * `prepareIndex(raw)` (bytes already stored), in the worker when it runs. The caller must not
   * change `raw` until the promise settles.
   */
  index(raw: Uint8Array): Promise<PreparedIndex> {
    return new Promise((resolve) => {
      const fallback = () => resolve(prepareIndex(raw));
      const sent = this.#post(raw, true, fallback, (r) => "error" in r ? fallback() : resolve(r.index));
      if (!sent) fallback();
    });
  }

  /** Queues `bytes` for this turn's batch; false when the worker is not there or too far behind. */
  #post(
    bytes: Uint8Array,
    indexOnly: boolean,
    fallback: () => void,
    done: (r: PrepareResult) => void,
  ): boolean {
    const worker = this.#waiting.size < MAX_WAITING ? this.#start() : null;
    if (!worker) return false;
    if (this.#idle !== null) {
      clearTimeout(this.#idle);
      this.#idle = null;
    }
    const id = this.#next++;
    this.#waiting.set(id, { done, fallback });
    this.#batch.push(indexOnly ? { id, bytes, indexOnly } : { id, bytes });
    this.#flush ??= setImmediate(() => this.#send());
    return true;
  }

  #send(): void {
    this.#flush = null;
    const batch = this.#batch;
    this.#batch = [];
    if (batch.length === 0 || !this.#worker) return;
    const m: PrepareRequest = { batch };
    this.#worker.postMessage(m);
  }

  #start(): Worker | null {
    if (this.#worker) return this.#worker;
    if (this.#failed) return null;
    try {
      const w = new Worker(new URL("./prepare_worker.ts", import.meta.url).href, { type: "module" });
      w.onmessage = (e: MessageEvent<PrepareReply>) => this.#reply(e.data);
      w.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        // A worker that fails (a module that cannot load) is not started again in this process.
        this.#failed = true;
        this.stop();
      };
      this.#worker = w;
      return w;
    } catch {
      this.#failed = true;
      return null;
    }
  }

  #reply(reply: PrepareReply): void {
    for (const r of reply.results) {
      const entry = this.#waiting.get(r.id);
      if (!entry) continue;
      this.#waiting.delete(r.id);
      if (!("error" in r)) this.#answered++;
      entry.done(r);
    }
    if (this.#waiting.size === 0 && this.#worker) {
      const timer = setTimeout(() => {
        this.#idle = null;
        if (this.#waiting.size === 0) this.stop();
      }, IDLE_MS);
      Deno.unrefTimer(timer);
      this.#idle = timer;
    }
  }

  /** Stops the worker now (messages still waiting are prepared here); the next one starts it again. */
  stop(): void {
    if (this.#idle !== null) clearTimeout(this.#idle);
    this.#idle = null;
    if (this.#flush !== null) clearImmediate(this.#flush);
    this.#flush = null;
    this.#batch = [];
    this.#worker?.terminate();
    this.#worker = null;
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const { fallback } of waiting) fallback();
  }
}
