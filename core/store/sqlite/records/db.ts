/**
 * Runs the shared record-store ops (core/store/records/sql/db.ts) on the SQLite database: each op
 * synchronously, statement after statement, so a transaction around it is one synchronous block.
 *
 * @module
 */
import type { Database, SqlValue } from "../database.ts";
import { type Op, type Param, type RecordDb, SQLITE, type Statement } from "../../records/sql/db.ts";

/** A parameter as SQLite binds it: a boolean as 1/0. */
function bind(p: Param): SqlValue {
  return typeof p === "boolean" ? (p ? 1 : 0) : p;
}

function execute(db: Database, s: Statement): unknown {
  const params = s.params.map(bind);
  switch (s.kind) {
    case "all":
      return db.all(s.sql, ...params);
    case "get":
      return db.get(s.sql, ...params);
    case "run":
      return db.run(s.sql, ...params).changes;
  }
}

/**
 * Runs an op to its end on `db`; a statement's error is thrown into the op (which may catch it).
 * Call inside a transaction the caller holds (e.g. the message store's) to join it.
 */
export function runSync<T>(db: Database, op: Op<T>): T {
  let step = op.next();
  while (!step.done) {
    let result: unknown;
    try {
      result = execute(db, step.value);
    } catch (e) {
      step = op.throw(e);
      continue;
    }
    step = op.next(result);
  }
  return step.value;
}

/** `fn`'s value as a promise, its error as a rejection. */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e);
  }
}

/** A `RecordDb` over the store database. */
export class SqliteRecordDb implements RecordDb {
  readonly dialect = SQLITE;
  readonly #db: Database;
  readonly #commit: (<T>(fn: () => T) => Promise<T>) | null;

  /**
   * @param db the store database
   * @param commit runs a write in the store's group commit (one fsync, off the event loop, for
   *   every write of an event-loop turn), which gives each write its own savepoint of the batch's
   *   transaction. Without it a write is committed on its own.
   */
  constructor(db: Database, commit?: <T>(fn: () => T) => Promise<T>) {
    this.#db = db;
    this.#commit = commit ?? null;
  }

  /** Runs a read. */
  read<T>(op: Op<T>): Promise<T> {
    return settle(() => runSync(this.#db, op));
  }

  /** Runs a write: alone (autocommit), or in the group commit. */
  write<T>(op: Op<T>): Promise<T> {
    if (this.#commit) return this.#commit(() => runSync(this.#db, op));
    return settle(() => runSync(this.#db, op));
  }

  /** Runs a write in one transaction (its savepoint of the group commit's batch). */
  atomic<T>(op: Op<T>): Promise<T> {
    if (this.#commit) return this.#commit(() => runSync(this.#db, op));
    return settle(() => this.#db.transaction(() => runSync(this.#db, op)));
  }
}
