/**
 * A small query helper for the record stores on PostgreSQL: `?` placeholders (as the SQLite record
 * stores write them) become `$1…$n`, results come back as row objects, `run` reports how many rows
 * changed, and `transaction` runs a function in one transaction (nested calls join the outer one).
 * Rows are read with the pool's types: BIGINT as numbers (connection.ts).
 *
 * @module
 */
import type { Queryable, Sql, Tx } from "../connection.ts";
import { type Op, POSTGRES, type RecordDb, type Statement } from "../../records/sql/db.ts";

/** A parameter value. */
export type Param = string | number | boolean | Uint8Array | null;

/** Turns `?` placeholders into `$n` (the record stores' SQL has no `?` operator or literal). */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Queries on the pool or inside a transaction; runs the shared record-store ops (`RecordDb`). */
export class PgDb implements RecordDb {
  /** The PostgreSQL dialect. */
  readonly dialect = POSTGRES;

  /** @param q the pool or a transaction @param inTx whether `q` is a transaction */
  constructor(readonly q: Queryable, readonly inTx = false) {}

  /** Every row. */
  async all<T>(sql: string, ...params: Param[]): Promise<T[]> {
    return await this.q.unsafe(numbered(sql), params) as unknown as T[];
  }

  /** The first row, or undefined. */
  async get<T>(sql: string, ...params: Param[]): Promise<T | undefined> {
    return (await this.all<T>(sql, ...params))[0];
  }

  /** Runs a statement; `changes` is the number of rows it touched. */
  async run(sql: string, ...params: Param[]): Promise<{ changes: number }> {
    const r = await this.q.unsafe(numbered(sql), params);
    return { changes: r.count };
  }

  /** Runs `fn` in one transaction (or in the current one). */
  async transaction<T>(fn: (db: PgDb) => Promise<T>): Promise<T> {
    if (this.inTx) return await fn(this);
    return await (this.q as Sql).begin((tx) => fn(new PgDb(tx as Tx, true))) as T;
  }

  /** Runs an op statement by statement; a statement's error is thrown into the op. */
  async read<T>(op: Op<T>): Promise<T> {
    let step = op.next();
    while (!step.done) {
      let result: unknown;
      try {
        result = await this.#execute(step.value);
      } catch (e) {
        step = op.throw(e);
        continue;
      }
      step = op.next(result);
    }
    return step.value;
  }

  /** Runs a write that needs no transaction of its own (autocommit, or the current transaction). */
  write<T>(op: Op<T>): Promise<T> {
    return this.read(op);
  }

  /** Runs a write in one transaction (or in the current one). */
  atomic<T>(op: Op<T>): Promise<T> {
    return this.transaction((db) => db.read(op));
  }

  async #execute(s: Statement): Promise<unknown> {
    const params = s.params as Param[];
    switch (s.kind) {
      case "all":
        return await this.all(s.sql, ...params);
      case "get":
        return await this.get(s.sql, ...params);
      case "run":
        return (await this.run(s.sql, ...params)).changes;
    }
  }
}
