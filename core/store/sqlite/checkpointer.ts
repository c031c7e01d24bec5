/**
 * WAL checkpoints off the event loop (issue 14, SMTP ingest). SQLite's automatic checkpoint runs
 * inside the COMMIT that crosses `wal_autocheckpoint` pages, on the thread that commits: at a
 * checkpoint every 1 MiB of WAL, a busy server spent about a quarter of its main-thread time there
 * copying pages into the database file and fsyncing it. Once the WAL has grown to the limit, this
 * turns the connection's automatic checkpoints off and asks a worker with its own connection
 * (`checkpoint_worker.ts`) for a PASSIVE checkpoint every `COMMITS_PER_CHECKPOINT` commits, one
 * at a time (a checkpoint per commit cost more CPU and fsyncs than it saved: measured). When the WAL still grows past 16 times the limit, the worker restarts it (a
 * RESTART checkpoint briefly holds the writer back); once the writer has gone quiet for
 * `QUIET_MS` (or on `checkpointNow`), a WAL file grown past twice the limit is truncated, so a
 * burst leaves no large WAL behind. Never during a burst: a TRUNCATE holds the writer back, whose
 * BEGIN then sleeps in SQLite's busy handler on the event loop (measured: 10-35 ms stalls after
 * every checkpoint), and the next COMMIT syncs a new WAL header and grows the file again.
 *
 * Durability is SQLite's own across connections: the worker's connection has
 * `synchronous=FULL`, so a checkpoint syncs the WAL before it copies and the database after, and a
 * writer starts the WAL over only once every frame is in the (synced) database. Small databases
 * (tests, the CLI) never reach the limit and never start a worker.
 *
 * @module
 */
import type { CheckpointReply, CheckpointRequest } from "./checkpoint_worker.ts";

/** Options of a background checkpointer. */
export interface CheckpointerOptions {
  /** The database file (its WAL is `${path}-wal`). */
  path: string;
  /** Bytes of WAL after which the worker takes over (and the WAL size it aims at). */
  limitBytes: number;
  /** The worker connection's busy timeout. */
  busyTimeoutMs: number;
  /** Turns the main connection's automatic checkpoints off (true) or back on (false). */
  setAutoCheckpoint(on: boolean): void;
  /** Told a checkpoint or worker failure (the main connection checkpoints itself again). */
  onError?(err: unknown): void;
  /** Milliseconds without a commit after which the writer counts as quiet (default `QUIET_MS`). */
  quietMs?: number;
}

/**
 * Commits between two checkpoints: a serial writer's commits are about 15 pages (1 MiB in 16, like
 * SQLite's automatic checkpoint at 1 MiB); a group commit's are larger, and fewer checkpoints
 * then copy each hot page fewer times.
 */
export const COMMITS_PER_CHECKPOINT = 16;

/** Milliseconds without a commit after which the writer counts as quiet (the WAL may be cut back). */
export const QUIET_MS = 1000;

/** Runs the checkpoints of one database in a worker, started once the WAL reaches the limit. */
export class Checkpointer {
  readonly #o: CheckpointerOptions;
  #worker: Worker | null = null;
  /** A checkpoint is running in the worker. */
  #busy = false;
  /** Commits since the last checkpoint was asked for. */
  #commits = 0;
  /** `checkpointNow` waits: the next checkpoint covers every commit, however few. */
  #all = false;
  #failed = false;
  #closing: PromiseWithResolvers<void> | null = null;
  #checkpoints = 0;
  #idle: PromiseWithResolvers<void> | null = null;
  #next: PromiseWithResolvers<void> | null = null;
  /** Commits since the worker took over. */
  #total = 0;
  /** Looks for a quiet writer (then asks for a checkpoint that may truncate the WAL). */
  #quietTimer: ReturnType<typeof setTimeout> | null = null;
  /** The running checkpoint may truncate the WAL. */
  #truncating = false;

  /** @param o the database, the limit and how to switch the main connection's checkpoints */
  constructor(o: CheckpointerOptions) {
    this.#o = o;
  }

  /** Whether the worker has taken over the checkpoints. */
  get active(): boolean {
    return this.#worker !== null && !this.#failed;
  }

  /** Checkpoints the worker has completed. */
  get checkpoints(): number {
    return this.#checkpoints;
  }

  /** Resolves when no checkpoint is running or asked for (for tests and shutdown). */
  idle(): Promise<void> {
    if (!this.#busy) return Promise.resolve();
    this.#idle ??= Promise.withResolvers<void>();
    return this.#idle.promise;
  }

  /** Resolves when the worker completes its next checkpoint (for tests). */
  nextCheckpoint(): Promise<void> {
    this.#next ??= Promise.withResolvers<void>();
    return this.#next.promise;
  }

  /** Called after each COMMIT of the main connection. */
  afterCommit(): void {
    if (this.#failed || this.#closing) return;
    if (!this.#worker) {
      let size = 0;
      try {
        size = Deno.statSync(`${this.#o.path}-wal`).size;
      } catch {
        return;
      }
      // Past the limit, not at it: a WAL that restarted is cut back to exactly the limit
      // (journal_size_limit), which a fresh data dir's migrations leave behind.
      if (size <= this.#o.limitBytes) return;
      try {
        this.#start();
      } catch (err) {
        // Called right after a COMMIT: never throws (the write is done); checkpoints stay here.
        this.#worker = null;
        this.#fail(err);
        return;
      }
    }
    this.#commits++;
    this.#total++;
    if (!this.#busy && this.#commits >= COMMITS_PER_CHECKPOINT) this.#request(false);
  }

  /** Asks for a checkpoint of every commit so far; resolves when none is running. */
  checkpointNow(): Promise<void> {
    if (!this.active || this.#closing) return this.idle();
    this.#all = true;
    if (!this.#busy) this.#request(true);
    return this.idle();
  }

  #start(): void {
    const worker = new Worker(new URL("./checkpoint_worker.ts", import.meta.url).href, { type: "module" });
    worker.onmessage = (e: MessageEvent<CheckpointReply>) => this.#reply(e.data);
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      this.#fail(new Error(`checkpoint worker: ${e.message}`));
    };
    this.#worker = worker;
    this.#post({
      type: "open",
      path: this.#o.path,
      busyTimeoutMs: this.#o.busyTimeoutMs,
      restartFrames: Math.ceil((16 * this.#o.limitBytes) / 4096),
      truncateBytes: 2 * this.#o.limitBytes,
    });
    // From now on the main connection's COMMITs never checkpoint.
    this.#o.setAutoCheckpoint(false);
  }

  #post(m: CheckpointRequest): void {
    this.#worker!.postMessage(m);
  }

  #request(truncate: boolean): void {
    this.#busy = true;
    this.#truncating = truncate;
    this.#commits = 0;
    this.#post({ type: "checkpoint", truncate });
  }

  /** Checks every `QUIET_MS` whether commits stopped; then one checkpoint that may truncate. */
  #watchQuiet(): void {
    if (this.#quietTimer !== null) return;
    const seen = this.#total;
    const timer = setTimeout(() => {
      this.#quietTimer = null;
      if (this.#failed || this.#closing) return;
      if (this.#total !== seen || this.#busy) this.#watchQuiet();
      else this.#request(true);
    }, this.#o.quietMs ?? QUIET_MS);
    this.#quietTimer = timer;
    // A server waiting for its next write is not kept alive by this.
    Deno.unrefTimer(timer);
  }

  #stopWatchingQuiet(): void {
    if (this.#quietTimer !== null) clearTimeout(this.#quietTimer);
    this.#quietTimer = null;
  }

  #reply(r: CheckpointReply): void {
    if (r.type === "closed") {
      this.#worker?.terminate();
      this.#busy = false;
      this.#settleIdle();
      this.#closing?.resolve();
      return;
    }
    if (r.type === "error") {
      // The worker could not open the file or checkpoint it: the main connection checkpoints
      // itself again, as before the worker took over.
      this.#fail(new Error(`checkpoint: ${r.message}`));
      return;
    }
    this.#busy = false;
    const truncated = this.#truncating;
    this.#checkpoints++;
    this.#next?.resolve();
    this.#next = null;
    const all = this.#all && this.#commits > 0;
    const due = this.#commits >= COMMITS_PER_CHECKPOINT || all;
    if (due && !this.#closing) this.#request(all);
    else this.#settleIdle();
    // Until the writer goes quiet: a truncating checkpoint with no commit since ends the watch.
    if (!this.#closing && (!truncated || this.#commits > 0 || this.#busy)) this.#watchQuiet();
  }

  #settleIdle(): void {
    this.#all = false;
    const idle = this.#idle;
    this.#idle = null;
    idle?.resolve();
  }

  #fail(err: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#stopWatchingQuiet();
    this.#busy = false;
    this.#worker?.terminate();
    this.#o.setAutoCheckpoint(true);
    this.#o.onError?.(err);
    this.#closing?.resolve();
    this.#settleIdle();
  }

  /**
   * Stops the worker after its running checkpoint (its connection closed cleanly) and gives the
   * main connection its automatic checkpoints back. Idempotent.
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing.promise;
    this.#closing = Promise.withResolvers<void>();
    this.#stopWatchingQuiet();
    if (!this.#worker || this.#failed) {
      this.#closing.resolve();
    } else {
      // Queued after any running checkpoint: the worker handles one message at a time.
      this.#post({ type: "close" });
      this.#o.setAutoCheckpoint(true);
    }
    return this.#closing.promise;
  }
}
