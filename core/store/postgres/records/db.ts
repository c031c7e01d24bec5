/**
 * A small query helper for the record stores on PostgreSQL: `?` placeholders (as the SQLite record
 * stores write them) become `$1…$n`, results come back as row objects, `run` reports how many rows
 * changed, and `transaction` runs a function in one transaction (nested calls join the outer one).
 * Rows are read with the pool's types: BIGINT as numbers (connection.ts).
 *
 * @module
 */
import type { Queryable, Sql, Tx } from "../connection.ts";

/** A parameter value. */
export type Param = string | number | boolean | null;

/** Turns `?` placeholders into `$n` (the record stores' SQL has no `?` operator or literal). */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Queries on the pool or inside a transaction. */
export class PgDb {
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
}
