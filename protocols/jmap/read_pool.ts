/**
 * A pool of JMAP read workers (`[jmap] read_workers`, issue 24): read-only API requests
 * (read_methods.ts) are answered on worker threads (read_worker.ts), each with its own read-only
 * connection to the SQLite store, so that they use the other cores while the main thread keeps the
 * HTTP listener, authentication, the concurrency limits, push and every write.
 *
 * - The workers start with the first API request (until they are ready, requests run on the
 *   main thread), so a server nobody reads over JMAP runs none.
 * - Dispatch: to the worker with the fewest requests in flight; when every worker has
 *   `MAX_IN_FLIGHT` or more, or none is ready, `run` answers null and the caller runs the request
 *   on the main thread as before.
 * - A worker that fails (an uncaught error) is replaced, unless it failed before it was ready
 *   (it would fail again); its requests in flight answer null too, so they run on the main thread
 *   (they only read: running them again changes nothing).
 * - Consistency: the worker starts a fresh read snapshot per request, after the request reached
 *   the main thread; a write is acknowledged only after its commit, so a client that got a
 *   success for a write sees it in any later read, whichever thread answers.
 * - Logs: the worker's records come back and are written with the request's logger (session id,
 *   client address, protocol, username).
 *
 * @module
 */
import { setImmediate } from "node:timers";
import type { ServerContext } from "../../core/context.ts";
import type { Logger } from "../../core/log/logger.ts";
import type { Account } from "../../core/store/types.ts";
import type { Invocation, JmapRequest } from "./request.ts";
import type { ReadWorkerReply, ReadWorkerRequest } from "./read_worker.ts";

/** Requests one worker may have in flight before the next one runs on the main thread. */
export const MAX_IN_FLIGHT = 32;

/** A request answered by a worker. */
export interface PooledAnswer {
  /** The JMAP Response object as JSON, UTF-8 (the HTTP body). */
  body: Uint8Array<ArrayBuffer>;
  /** Each method response's name, `{ type }` for errors, and call id (for core/metrics). */
  responses: Invocation[];
}

interface Pending {
  resolve: (answer: PooledAnswer | null) => void;
  log: Logger;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** Settles when the worker has opened its store, failed to, or ended. */
  opened: Promise<void>;
  settleOpened: () => void;
  inFlight: Map<number, Pending>;
  closed: (() => void) | null;
  /** Requests of this event-loop turn not posted yet (`#send`). */
  outbox: ReadWorkerRequest[];
}

/** Counters of what the pool did (tests and the bench read them). */
export interface ReadPoolStats {
  /** Requests answered by a worker. */
  served: number;
  /** Requests a worker handed back (they needed a write) or lost in a crash. */
  fallbacks: number;
  /** Workers replaced after a failure. */
  replaced: number;
}

/**
 * The default pool size: none. Measured on 2 cores (issue 24, busy machine, direction only), a
 * worker took the method work of the reads off the main thread but only 6–10% of its CPU per
 * request (the HTTP engine, authentication, routing, metrics and the writes stay there, and each
 * hand-off costs the main thread a post and a reply), while the process used about 30% more CPU
 * per request and answered fewer requests per second. Turn it on where a quiet measurement shows
 * a gain (`bench/jmap/vs_cyrus.ts --tern-read-workers N`).
 */
export const DEFAULT_READ_WORKERS = 0;

/** Worker threads answering read-only JMAP requests. */
export class JmapReadPool {
  readonly #server: ServerContext;
  readonly #dataDir: string;
  readonly #slots: Slot[] = [];
  #nextId = 1;
  #closing = false;
  #crashNext = false;
  /** While true every request runs on the main thread (tests compare both paths). */
  paused = false;
  /** What the pool did so far. */
  readonly stats: ReadPoolStats = { served: 0, fallbacks: 0, replaced: 0 };

  readonly #size: number;
  #started = false;

  private constructor(server: ServerContext, dataDir: string, size: number) {
    this.#server = server;
    this.#dataDir = dataDir;
    this.#size = size;
  }

  /**
   * Starts the workers on first use (a server whose clients never read over JMAP, or a test, runs
   * none); until they are ready the requests run on the main thread.
   */
  #startAll(): void {
    if (this.#started || this.#closing) return;
    this.#started = true;
    for (let i = 0; i < this.#size; i++) {
      const slot = this.#start();
      if (slot === null) return;
      this.#slots.push(slot);
    }
  }

  /**
   * The pool for a server: `[jmap] read_workers` workers over its SQLite store, or null when the
   * setting is 0 or the store is not a SQLite store on disk (PostgreSQL, a read-only store).
   */
  static forServer(server: ServerContext): JmapReadPool | null {
    const size = server.config.jmap.read_workers ?? DEFAULT_READ_WORKERS;
    const dir = server.store.replicaDir;
    if (size <= 0 || !dir) return null;
    return new JmapReadPool(server, dir, size);
  }

  /** Workers running (ready or starting). */
  get size(): number {
    return this.#slots.length;
  }

  /** Workers configured (`[jmap] read_workers`), started or not. */
  get configuredSize(): number {
    return this.#size;
  }

  /** A new worker, or null (logged) when none can be made: requests then run on the main thread. */
  #start(): Slot | null {
    let worker: Worker;
    try {
      worker = new Worker(new URL("./read_worker.ts", import.meta.url).href, {
        type: "module",
        name: "jmap-read",
      });
    } catch (err) {
      this.#server.log.error("JMAP read worker failed", { error: (err as Error)?.message ?? String(err) });
      return null;
    }
    const { promise: opened, resolve: settleOpened } = Promise.withResolvers<void>();
    const slot: Slot = {
      worker,
      ready: false,
      opened,
      settleOpened,
      inFlight: new Map(),
      closed: null,
      outbox: [],
    };
    worker.onmessage = (e: MessageEvent<ReadWorkerReply>) => this.#reply(slot, e.data);
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      this.#fail(slot, e.message);
    };
    worker.onmessageerror = () => this.#fail(slot, "unreadable message");
    this.#post(slot, { type: "open", dataDir: this.#dataDir, config: this.#server.config });
    return slot;
  }

  #post(slot: Slot, m: ReadWorkerRequest | ReadWorkerRequest[]): void {
    slot.worker.postMessage(m);
  }

  /**
   * Posts a request with the others of this event-loop turn, as one message: a post costs about
   * 30 µs of the main thread (the worker is woken), most of it per message, not per request.
   */
  #send(slot: Slot, m: ReadWorkerRequest): void {
    slot.outbox.push(m);
    if (slot.outbox.length > 1) return;
    setImmediate(() => {
      const batch = slot.outbox;
      slot.outbox = [];
      if (this.#slots.includes(slot)) this.#post(slot, batch);
    });
  }

  #reply(slot: Slot, m: ReadWorkerReply): void {
    switch (m.type) {
      case "ready":
        slot.ready = true;
        slot.settleOpened();
        return;
      case "failed":
        this.#server.log.error("JMAP read worker could not open the store", { error: m.message });
        this.#remove(slot);
        return;
      case "log": {
        const log = slot.inFlight.get(m.id)?.log ?? this.#server.log;
        log[m.level](m.message, m.fields);
        return;
      }
      case "response": {
        const p = slot.inFlight.get(m.id);
        // No longer in flight (its worker was removed and the main thread answered it): not counted.
        if (p === undefined) return;
        slot.inFlight.delete(m.id);
        this.stats.served++;
        p.resolve({
          body: m.body,
          responses: m.summary.map((
            [name, error, callId],
          ) => [name, error === null ? {} : { type: error }, callId]),
        });
        return;
      }
      case "fallback": {
        const p = slot.inFlight.get(m.id);
        if (p === undefined) return;
        slot.inFlight.delete(m.id);
        this.stats.fallbacks++;
        p.resolve(null);
        return;
      }
      case "closed":
        slot.closed?.();
        return;
    }
  }

  /** A worker failed: its requests run on the main thread, and another worker takes its place. */
  #fail(slot: Slot, message: string): void {
    if (!this.#slots.includes(slot)) return;
    this.#server.log.error("JMAP read worker failed", { error: message, in_flight: slot.inFlight.size });
    this.#remove(slot);
    // A worker that failed before it was ready (its module could not load, e.g. no read access to
    // it) would fail the same way again: not replaced, or it would be started over and over.
    if (this.#closing || !slot.ready) return;
    const next = this.#start();
    if (next === null) return;
    this.#slots.push(next);
    this.stats.replaced++;
  }

  #remove(slot: Slot): void {
    const i = this.#slots.indexOf(slot);
    if (i >= 0) this.#slots.splice(i, 1);
    slot.worker.terminate();
    for (const p of slot.inFlight.values()) {
      this.stats.fallbacks++;
      p.resolve(null);
    }
    slot.inFlight.clear();
    slot.settleOpened();
    slot.closed?.();
  }

  /**
   * Answers a checked, read-only request (read_methods.ts `isReadOnlyRequest`) on a worker, or
   * null when no worker can take it now (the caller runs it on the main thread).
   */
  run(
    request: JmapRequest,
    account: Account,
    client: { sessionId: string; remoteAddress: string },
    log: Logger,
  ): Promise<PooledAnswer | null> {
    this.#startAll();
    let best: Slot | null = null;
    for (const slot of this.#slots) {
      if (!slot.ready || slot.inFlight.size >= MAX_IN_FLIGHT) continue;
      if (best === null || slot.inFlight.size < best.inFlight.size) best = slot;
    }
    if (best === null || this.#closing || this.paused) return Promise.resolve(null);
    const slot = best;
    const id = this.#nextId++;
    const crash = this.#crashNext;
    this.#crashNext = false;
    return new Promise((resolve) => {
      slot.inFlight.set(id, { resolve, log });
      this.#send(slot, {
        type: "request",
        id,
        request,
        account,
        client,
        ...(crash ? { crash: true } : {}),
      });
    });
  }

  /** Test hook: the next request a worker takes makes it fail (it is replaced; the request runs on main). */
  crashNextRequestForTest(): void {
    this.#crashNext = true;
  }

  /** Resolves once every worker is ready (tests; requests before that run on the main thread). */
  async ready(): Promise<void> {
    this.#startAll();
    while (this.#slots.some((s) => !s.ready)) await Promise.all(this.#slots.map((s) => s.opened));
  }

  /**
   * Stops the workers: requests in flight are answered first, then each worker closes its store.
   * Call after the HTTP listener has drained.
   */
  async close(): Promise<void> {
    this.#closing = true;
    const slots = [...this.#slots];
    await Promise.all(slots.map(async (slot) => {
      if (slot.inFlight.size > 0) {
        await Promise.all(
          [...slot.inFlight.values()].map((p) =>
            new Promise<void>((resolve) => {
              const prev = p.resolve;
              p.resolve = (a) => {
                prev(a);
                resolve();
              };
            })
          ),
        );
      }
      // It failed meanwhile: already removed and terminated (no "closed" would ever come).
      if (!this.#slots.includes(slot)) return;
      await new Promise<void>((resolve) => {
        slot.closed = resolve;
        this.#post(slot, { type: "close" });
      });
      const i = this.#slots.indexOf(slot);
      if (i >= 0) this.#slots.splice(i, 1);
      slot.worker.terminate();
    }));
  }
}
