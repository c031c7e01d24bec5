/**
 * A worker thread for work the store can also do on its own thread (deflating blob chunks,
 * indexing large messages): started on first use, stopped after `idleMs` with nothing waiting (a
 * running worker would keep a CLI process alive) or by `stop`. A worker that fails (its module
 * cannot load, or an error escapes it) is stopped and not started again in this process: its owner
 * does the work itself from then on. The owner keeps what waits for the worker; `stopped` tells it
 * to settle all of that itself.
 *
 * @module
 */

/** Idle time after which the worker is stopped (milliseconds), unless the owner says otherwise. */
export const IDLE_MS = 5_000;

/** What the worker's owner is told. */
export interface OnDemandWorkerHandlers<Rep> {
  /** A reply of the worker. */
  reply(reply: Rep): void;
  /** The worker was stopped (idle, `stop`, or failed): settle whatever still waits for it. */
  stopped(): void;
}

/** A worker started on first use and stopped when idle; see the module comment. */
export class OnDemandWorker<Req, Rep> {
  readonly #url: URL;
  readonly #handlers: OnDemandWorkerHandlers<Rep>;
  readonly #idleMs: number;
  #worker: Worker | null = null;
  #idle: ReturnType<typeof setTimeout> | null = null;
  #failed = false;

  /**
   * @param url the worker's module
   * @param handlers replies and stops, for the owner
   * @param idleMs idle time before the worker is stopped
   */
  constructor(url: URL, handlers: OnDemandWorkerHandlers<Rep>, idleMs = IDLE_MS) {
    this.#url = url;
    this.#handlers = handlers;
    this.#idleMs = idleMs;
  }

  /** True once the worker has failed: it is not started again. */
  get failed(): boolean {
    return this.#failed;
  }

  /** True while a worker thread runs. */
  get running(): boolean {
    return this.#worker !== null;
  }

  /**
   * Starts the worker unless it runs, and keeps it from stopping as idle; false when it cannot run
   * (it failed before, or cannot be created): the caller does the work itself.
   */
  start(): boolean {
    if (this.#idle !== null) {
      clearTimeout(this.#idle);
      this.#idle = null;
    }
    if (this.#worker) return true;
    if (this.#failed) return false;
    try {
      const w = new Worker(this.#url.href, { type: "module" });
      w.onmessage = (e: MessageEvent<Rep>) => this.#handlers.reply(e.data);
      w.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        this.#failed = true;
        this.stop();
      };
      this.#worker = w;
      return true;
    } catch {
      this.#failed = true;
      return false;
    }
  }

  /** Posts to the worker, started first when needed; false when it cannot run (see `start`). */
  post(message: Req, transfer: Transferable[] = []): boolean {
    if (!this.start()) return false;
    this.#worker!.postMessage(message, transfer);
    return true;
  }

  /** Nothing waits for the worker any more: it is stopped after the idle time unless used again. */
  idle(): void {
    if (!this.#worker || this.#idle !== null) return;
    const timer = setTimeout(() => {
      this.#idle = null;
      this.stop();
    }, this.#idleMs);
    Deno.unrefTimer(timer);
    this.#idle = timer;
  }

  /** Stops the worker now, then tells the owner (`stopped`); the next `start` starts it again. */
  stop(): void {
    if (this.#idle !== null) clearTimeout(this.#idle);
    this.#idle = null;
    this.#worker?.terminate();
    this.#worker = null;
    this.#handlers.stopped();
  }
}
