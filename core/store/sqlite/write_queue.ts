/**
 * Group commit: write jobs queued during one event-loop turn (or, under load, while the previous
 * batch's WAL sync was under way) run in a single `BEGIN IMMEDIATE … COMMIT`, each inside its own
 * savepoint so that one job's failure (e.g. over quota) leaves the others intact, except the first:
 * nothing precedes it in the transaction, so when it fails the transaction is rolled back (and
 * begun again for the others), which undoes exactly what a savepoint would. An error after which
 * SQLite rolled the whole transaction back (disk full, I/O error) fails the whole batch. The
 * COMMIT itself does not wait for the disk; the WAL is then fdatasynced off the event loop
 * (`Database.transactionDeferredSync`), and only after that do the batch's change events get
 * published and its jobs settle, batch after batch in commit order. A batch with post-commit
 * actions (blob unlinks) syncs the WAL synchronously and runs them right after its COMMIT.
 *
 * @module
 */
import type { ChangeEvent, ChangeNotifier } from "../notifier.ts";
import type { AccountId, ChangeType, MailboxId } from "../types.ts";
import type { Database } from "./database.ts";
import { setImmediate } from "node:timers";

/** What a job records for after the commit. */
export class JobEffects {
  /** Per account: last MODSEQ, changed types and mailboxes, for the change event. */
  readonly events = new Map<
    AccountId,
    { modseq: number; types: Set<ChangeType>; mailboxIds: Set<MailboxId>; origin: symbol | null }
  >();
  /** Who made this job's changes (`ChangeEvent.origin`), or null. */
  origin: symbol | null = null;
  /**
   * Actions run at the end of the batch, inside its transaction but outside every job's
   * savepoint (full-text rows: FTS5 flushes its pending terms at each savepoint, so inserting them
   * together costs one flush per commit instead of one per message).
   */
  readonly beforeCommit: (() => void)[] = [];
  /**
   * Actions run after every `beforeCommit` action of the batch, still inside its transaction (giving
   * back the pages that the batch freed: disk_space.ts).
   */
  readonly lastBeforeCommit: (() => void)[] = [];
  /** Actions run synchronously right after COMMIT (e.g. unlinking released blob files). */
  readonly afterCommit: (() => void)[] = [];

  /** Notes a change of an account for the notifier. */
  touch(accountId: AccountId, modseq: number, type: ChangeType, mailboxIds: Iterable<MailboxId> = []): void {
    let e = this.events.get(accountId);
    if (!e) {
      e = { modseq, types: new Set(), mailboxIds: new Set(), origin: this.origin };
      this.events.set(accountId, e);
    }
    e.modseq = Math.max(e.modseq, modseq);
    e.types.add(type);
    for (const id of mailboxIds) e.mailboxIds.add(id);
  }

  /** Merges another job's effects into this one (a batch's: origins kept only where all agree). */
  merge(other: JobEffects): void {
    for (const [accountId, e] of other.events) {
      const mine = this.events.get(accountId);
      const origin = mine === undefined ? other.origin : mine.origin === other.origin ? mine.origin : null;
      for (const type of e.types) this.touch(accountId, e.modseq, type, e.mailboxIds);
      this.events.get(accountId)!.origin = origin;
    }
    this.beforeCommit.push(...other.beforeCommit);
    this.lastBeforeCommit.push(...other.lastBeforeCommit);
    this.afterCommit.push(...other.afterCommit);
  }
}

/**
 * Thrown out of a batch of one job that failed, to roll its transaction back (the job's own error
 * is in its result).
 */
class LoneJobFailed extends Error {}

interface Job {
  fn: (fx: JobEffects) => unknown;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

/** Batches write jobs into shared transactions. */
export class WriteQueue {
  readonly #db: Database;
  readonly #notifier: ChangeNotifier;
  readonly #onAfterCommitError: (err: unknown) => void;
  #pending: Job[] = [];
  /** Jobs waiting for the next batch without starting one (`ride`). */
  #riders: Job[] = [];
  /** Starts a batch for the riders when none took them in time. */
  #rideTimer: ReturnType<typeof setTimeout> | null = null;
  #timer: ReturnType<typeof setImmediate> | null = null;
  #idle: PromiseWithResolvers<void> | null = null;
  /** Batches committed whose WAL sync (and then settlement) is still under way. */
  #syncing = 0;
  /** Settlement of the last committed batch: batches settle (and publish) in commit order. */
  #tail: Promise<void> = Promise.resolve();
  #flushes = 0;
  #jobs = 0;
  #commitMs = 0;
  /** Told each committed batch's time from start to durable, in seconds (core/metrics). */
  observer: ((seconds: number) => void) | null = null;

  /**
   * A queue over a database.
   *
   * @param db the database
   * @param notifier where change events are published after each commit
   * @param onAfterCommitError reports a failing post-commit action (e.g. a blob file unlink)
   */
  constructor(db: Database, notifier: ChangeNotifier, onAfterCommitError: (err: unknown) => void) {
    this.#db = db;
    this.#notifier = notifier;
    this.#onAfterCommitError = onAfterCommitError;
    // A server's group commits never checkpoint on the event loop (checkpointer.ts).
    db.checkpointInBackground(onAfterCommitError);
  }

  /** Queues a synchronous job; resolves with its result after the batch commits. */
  run<T>(fn: (fx: JobEffects) => T): Promise<T> {
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    this.#pending.push({ fn, resolve: resolve as (v: unknown) => void, reject });
    // Group commit: while a batch's WAL sync is under way, the next batch gathers and is committed
    // when that sync ends (#settleIdle), so under load commits follow the disk's pace; otherwise
    // right after this event-loop turn's I/O (setImmediate, not a microtask), so that writes from
    // every connection served in this turn share one commit. Not setTimeout(0): its 1 ms clamp (and
    // timer granularity) added one to two milliseconds to every acknowledgement.
    if (this.#syncing === 0) this.#schedule();
    return promise;
  }

  /**
   * Queues a job like `run` that starts no batch of its own: it runs in the next batch other writes
   * start (no commit and fsync of its own while writes flow), or in one of its own after `maxWaitMs`
   * (issue 16: usage counters written with the deliveries they count).
   */
  ride<T>(fn: (fx: JobEffects) => T, maxWaitMs: number): Promise<T> {
    const { promise, resolve, reject } = Promise.withResolvers<T>();
    this.#riders.push({ fn, resolve: resolve as (v: unknown) => void, reject });
    this.#rideTimer ??= setTimeout(() => {
      // No batch took them in time: start one.
      this.#rideTimer = null;
      this.#schedule();
    }, maxWaitMs);
    return promise;
  }

  /** Starts a batch right after this event-loop turn's I/O, unless one is already due. */
  #schedule(): void {
    this.#timer ??= setImmediate(() => this.#flush());
  }

  /** Counters: transactions committed, jobs run in them, time spent in those transactions. */
  get stats(): { flushes: number; jobs: number; commitMs: number } {
    return { flushes: this.#flushes, jobs: this.#jobs, commitMs: this.#commitMs };
  }

  /** Resolves when no job is pending. */
  drain(): Promise<void> {
    if (this.#riders.length > 0) this.#schedule();
    if (this.#pending.length === 0 && this.#timer === null && this.#syncing === 0) return Promise.resolve();
    this.#idle ??= Promise.withResolvers<void>();
    return this.#idle.promise;
  }

  #flush(): void {
    this.#timer = null;
    const jobs = this.#riders.length === 0 ? this.#pending : this.#pending.concat(this.#riders);
    this.#pending = [];
    if (this.#riders.length > 0) {
      this.#riders = [];
      clearTimeout(this.#rideTimer ?? undefined);
      this.#rideTimer = null;
    }
    const results: { ok: boolean; value: unknown }[] = [];
    const batch = new JobEffects();
    const started = performance.now();
    this.#flushes++;
    this.#jobs += jobs.length;
    let synced: Promise<void> | null = null;
    let rolledBack = false;
    // The first job runs without a savepoint (SAVEPOINT and RELEASE were two of a single client's
    // STORE's 15 statements, issue 14): when it throws, the transaction holds its writes alone and
    // is rolled back, then begun again for the jobs after it, or, when it was alone, not committed.
    const alone = jobs.length === 1;
    const body = () => {
      for (const [i, job] of jobs.entries()) {
        const fx = new JobEffects();
        try {
          const value = i === 0 ? runFirst(job, fx) : this.#db.transaction(() => job.fn(fx));
          batch.merge(fx);
          results.push({ ok: true, value });
        } catch (err) {
          results.push({ ok: false, value: err });
          // SQLite rolled the whole transaction back (disk full, I/O error): the jobs before this
          // one lost their writes too, so the batch fails as a whole, with this error.
          if (i > 0 && !this.#db.raw.isTransaction) throw err;
          if (i > 0) continue;
          if (alone) throw new LoneJobFailed();
          this.#db.restartTransaction();
        }
      }
      for (const action of batch.beforeCommit) action();
      for (const action of batch.lastBeforeCommit) action();
      return batch.afterCommit.length > 0;
    };
    try {
      // The usual batch (deliveries, flag changes) commits without blocking the event loop on the
      // fsync; its jobs settle after the WAL has been synced from a worker thread.
      const deferred = this.#db.transactionDeferredSync(body);
      synced = deferred.synced;
      if (deferred.result) {
        // Post-commit actions (blob unlinks) run right after COMMIT, before any other write can
        // interleave, and only once the commit is durable: sync now, on this thread.
        this.#db.syncWalSync();
        this.#runAfterCommit(batch);
      }
    } catch (err) {
      if (err instanceof LoneJobFailed) {
        // Rolled back, nothing written: the job is rejected with its own error, in commit order
        // like every other settlement (what it read may be a batch whose sync is still running).
        synced = Promise.resolve();
        rolledBack = true;
      } else {
        // Never awaited now: keep a failing background sync from becoming an unhandled rejection.
        synced?.catch(() => {});
        this.#commitMs += performance.now() - started;
        for (const job of jobs) job.reject(err);
        this.#settleIdle();
        return;
      }
    }
    this.#commitMs += performance.now() - started;
    this.#syncing++;
    const previous = this.#tail;
    this.#tail = (async () => {
      let syncError: unknown = null;
      try {
        await synced;
      } catch (err) {
        syncError = err;
      }
      if (syncError === null && !rolledBack) this.observer?.((performance.now() - started) / 1000);
      await previous;
      this.#syncing--;
      if (syncError !== null) {
        for (const job of jobs) job.reject(syncError);
      } else {
        this.#settle(jobs, results, batch);
      }
      this.#settleIdle();
    })();
  }

  #runAfterCommit(batch: JobEffects): void {
    for (const action of batch.afterCommit) {
      try {
        action();
      } catch (err) {
        this.#onAfterCommitError(err);
      }
    }
  }

  #settle(jobs: Job[], results: { ok: boolean; value: unknown }[], batch: JobEffects): void {
    for (const [accountId, e] of batch.events) {
      const event: ChangeEvent = {
        accountId,
        modseq: e.modseq,
        types: [...e.types],
        mailboxIds: [...e.mailboxIds],
      };
      if (e.origin !== null) event.origin = e.origin;
      try {
        this.#notifier.publish(event);
      } catch (err) {
        this.#onAfterCommitError(err);
      }
    }
    jobs.forEach((job, i) => {
      const r = results[i]!;
      if (r.ok) job.resolve(r.value);
      else job.reject(r.value);
    });
  }

  #settleIdle(): void {
    if (this.#pending.length > 0 || (this.#idle !== null && this.#riders.length > 0)) {
      this.#schedule();
      return;
    }
    if (this.#syncing > 0 || this.#timer !== null) return;
    const idle = this.#idle;
    this.#idle = null;
    idle?.resolve();
  }
}

/** Runs a batch's first job (no savepoint); it must be synchronous, as in `Database.transaction`. */
function runFirst(job: Job, fx: JobEffects): unknown {
  const value = job.fn(fx);
  if (value instanceof Promise) {
    throw new TypeError("Database.transaction callback must be synchronous: it returned a Promise");
  }
  return value;
}
