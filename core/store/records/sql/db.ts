/**
 * The SQL the record stores share between SQLite and PostgreSQL. A record store's logic is written
 * once, as generator functions ("ops") that yield each statement they need and receive its result;
 * each backend runs an op with its own driver (`RecordDb`): SQLite synchronously, so that a
 * transaction stays one synchronous block as node:sqlite requires, PostgreSQL with `await`.
 *
 * Statements use `?` placeholders (the PostgreSQL driver numbers them) and only syntax both
 * dialects accept (`ON CONFLICT … DO UPDATE`, `<>`, `1 = 1`); where the dialects differ, the op
 * asks the `Dialect` for the piece, so every difference is named there.
 *
 * @module
 */

/**
 * A statement parameter. Bytes are a BLOB on SQLite, a bytea on PostgreSQL; a boolean is a
 * BOOLEAN on PostgreSQL and binds as 1/0 on SQLite (which has no boolean type).
 */
export type Param = string | number | boolean | Uint8Array | null;

/** One statement an op asks its backend to run. */
export interface Statement {
  /** `all`: every row; `get`: the first row or undefined; `run`: the number of rows changed. */
  readonly kind: "all" | "get" | "run";
  readonly sql: string;
  readonly params: readonly Param[];
}

/** A record store operation: yields statements, is resumed with their results, returns `T`. */
export type Op<T> = Generator<Statement, T, unknown>;

/** Every row of a query. */
export function* all<T>(sql: string, ...params: Param[]): Op<T[]> {
  return (yield { kind: "all", sql, params }) as T[];
}

/** The first row of a query, or undefined. */
export function* get<T>(sql: string, ...params: Param[]): Op<T | undefined> {
  return (yield { kind: "get", sql, params }) as T | undefined;
}

/** Runs a write statement; returns how many rows it changed. */
export function* run(sql: string, ...params: Param[]): Op<number> {
  return (yield { kind: "run", sql, params }) as number;
}

/** What differs between the SQL of the two backends. */
export interface Dialect {
  /** Which backend. */
  readonly name: "sqlite" | "postgres";
  /**
   * Appended to a text column in ORDER BY for byte order: ` COLLATE "C"` on PostgreSQL (whose
   * default collation follows the locale), "" on SQLite (BINARY, byte order, is its default).
   */
  readonly bytes: string;
  /**
   * Appended to the SELECT of a read-modify-write: ` FOR UPDATE` on PostgreSQL (locks the row until
   * the transaction ends), "" on SQLite (its write transaction holds the database lock already).
   */
  readonly forUpdate: string;
  /** The scalar function that returns the largest of its arguments: `max` on SQLite, `greatest` on PostgreSQL. */
  readonly greatest: string;
  /** A LIMIT that keeps every row, for an OFFSET alone: `LIMIT -1` on SQLite, `LIMIT ALL` on PostgreSQL. */
  readonly noLimit: string;
}

/** The SQLite dialect. */
export const SQLITE: Dialect = {
  name: "sqlite",
  bytes: "",
  forUpdate: "",
  greatest: "max",
  noLimit: "LIMIT -1",
};

/** The PostgreSQL dialect. */
export const POSTGRES: Dialect = {
  name: "postgres",
  bytes: ' COLLATE "C"',
  forUpdate: " FOR UPDATE",
  greatest: "greatest",
  noLimit: "LIMIT ALL",
};

/**
 * Runs ops on one backend. `read` runs statements as they come; `write` runs a write op that needs
 * no transaction of its own (one statement, or statements each valid alone), `atomic` one whose
 * statements commit together or not at all. Either kind of write is durable when it resolves.
 */
export interface RecordDb {
  /** The backend's SQL differences. */
  readonly dialect: Dialect;
  /** Runs a read. */
  read<T>(op: Op<T>): Promise<T>;
  /**
   * Runs a write that needs no transaction of its own. A statement that changes rows through
   * `get`/`all` (`RETURNING`) goes through `atomic`: SQLite counts such writes per transaction.
   */
  write<T>(op: Op<T>): Promise<T>;
  /** Runs a write in one transaction. */
  atomic<T>(op: Op<T>): Promise<T>;
}
