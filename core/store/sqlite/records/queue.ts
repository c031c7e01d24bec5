/**
 * SQLite implementation of the outbound queue's `QueueStore`: messages, per-recipient state and the
 * attempts log, in Tern's SQLite database; the statements are the shared ones
 * (core/store/records/sql/queue.ts). Writes are group-committed here: when a method's promise
 * resolves, the change is committed and fsynced.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import type { Database } from "../database.ts";
import { QUEUE_COMPONENT, QUEUE_MIGRATIONS } from "./queue_schema.ts";
import { SqlQueueStore } from "../../records/sql/queue.ts";
import { SqliteRecordDb } from "./db.ts";

// The domain rule of the queue's rows is the shared one.
export { domainOf } from "../../records/sql/queue.ts";

interface Job {
  fn: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

/**
 * The queue's persistent state. Writes from concurrent deliveries and enqueues issued in the same
 * event-loop turn share one transaction (group commit: one fsync for many), each job in its own
 * savepoint; every promise settles only after the COMMIT.
 */
export class SqliteQueueStore extends SqlQueueStore {
  readonly #db: Database;
  #pending: Job[] = [];
  #scheduled = false;

  /** Applies the queue's migrations. */
  constructor(db: Database) {
    db.applyMigrations(QUEUE_COMPONENT, QUEUE_MIGRATIONS);
    super(new SqliteRecordDb(db, (fn) => this.#write(fn)));
    this.#db = db;
  }

  /** Runs `fn` in the next group commit; resolves after the commit (fsynced). */
  #write<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // After this turn's I/O, without setTimeout(0)'s 1 ms clamp (see write_queue.ts).
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    const jobs = this.#pending;
    this.#pending = [];
    this.#scheduled = false;
    const results: { ok: boolean; value: unknown }[] = [];
    try {
      this.#db.transaction(() => {
        for (const j of jobs) {
          try {
            results.push({ ok: true, value: this.#db.transaction(j.fn) });
          } catch (e) {
            results.push({ ok: false, value: e });
          }
        }
      });
    } catch (e) {
      for (const j of jobs) j.reject(e);
      return;
    }
    jobs.forEach((j, i) => (results[i]!.ok ? j.resolve(results[i]!.value) : j.reject(results[i]!.value)));
  }
}
