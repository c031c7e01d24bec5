/**
 * The small SQL surface the JMAP tables need, adapted from the store's `Database` wrapper
 * (core/store/sqlite/database.ts) or, in unit tests, from an in-memory `node:sqlite` database.
 *
 * @module
 */
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import type { Store } from "../store/store.ts";

/** A value bound to a SQL parameter. */
export type SqlValue = SQLInputValue;

/** One schema step of a component. */
export interface Migration {
  version: number;
  sql: string;
}

/** Synchronous SQL access (SQLite is synchronous; callers keep transactions short). */
export interface JmapSql {
  run(sql: string, ...params: SqlValue[]): { changes: number };
  get<T>(sql: string, ...params: SqlValue[]): T | undefined;
  all<T>(sql: string, ...params: SqlValue[]): T[];
  /** Runs `fn` in one transaction (committed when it returns, rolled back when it throws). */
  transaction<T>(fn: () => T): T;
  /** Applies the migrations of `component` not applied yet, in version order. */
  applyMigrations(component: string, migrations: Migration[]): void;
}

/** What we expect of the store's database wrapper (structural, so no import cycle with the store). */
interface StoreDatabaseLike {
  transaction<T>(fn: () => T): T;
  applyMigrations(component: string, migrations: Migration[]): void;
  run?(sql: string, ...params: SqlValue[]): { changes: number };
  get?<T>(sql: string, ...params: SqlValue[]): T | undefined;
  all?<T>(sql: string, ...params: SqlValue[]): T[];
  prepare?(sql: string): StatementLike;
  db?: DatabaseSync;
  raw?: DatabaseSync;
}

interface StatementLike {
  run(...params: SqlValue[]): { changes: number | bigint };
  get(...params: SqlValue[]): unknown;
  all(...params: SqlValue[]): unknown[];
}

function statementCache(prepare: (sql: string) => StatementLike): (sql: string) => StatementLike {
  const cache = new Map<string, StatementLike>();
  return (sql) => {
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = prepare(sql);
      cache.set(sql, stmt);
    }
    return stmt;
  };
}

function fromPrepare(
  prepare: (sql: string) => StatementLike,
  transaction: <T>(fn: () => T) => T,
  applyMigrations: (component: string, migrations: Migration[]) => void,
): JmapSql {
  const stmt = statementCache(prepare);
  return {
    run: (sql, ...params) => ({ changes: Number(stmt(sql).run(...params).changes) }),
    get: <T>(sql: string, ...params: SqlValue[]) => stmt(sql).get(...params) as T | undefined,
    all: <T>(sql: string, ...params: SqlValue[]) => stmt(sql).all(...params) as T[],
    transaction,
    applyMigrations,
  };
}

/** Wraps a raw `node:sqlite` database (tests, or a store that exposes only its connection). */
export function sqlFromDatabaseSync(db: DatabaseSync): JmapSql {
  let depth = 0;
  const transaction = <T>(fn: () => T): T => {
    if (depth > 0) return fn();
    db.exec("BEGIN IMMEDIATE");
    depth++;
    try {
      const result = fn();
      db.exec("COMMIT");
      return result;
    } catch (error) {
      db.exec("ROLLBACK");
      throw error;
    } finally {
      depth--;
    }
  };
  const applyMigrations = (component: string, migrations: Migration[]): void => {
    db.exec(
      "CREATE TABLE IF NOT EXISTS jmap_schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)",
    );
    const row = db.prepare("SELECT version FROM jmap_schema_versions WHERE component = ?").get(component) as
      | { version: number }
      | undefined;
    const current = row?.version ?? 0;
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (m.version <= current) continue;
      transaction(() => {
        db.exec(m.sql);
        db.prepare(
          "INSERT INTO jmap_schema_versions (component, version) VALUES (?, ?) " +
            "ON CONFLICT(component) DO UPDATE SET version = excluded.version",
        ).run(component, m.version);
      });
    }
  };
  return fromPrepare((sql) => db.prepare(sql) as unknown as StatementLike, transaction, applyMigrations);
}

/** An in-memory database for unit tests. Close it with the returned `close`. */
export function memorySql(): JmapSql & { close(): void } {
  const db = new DatabaseSync(":memory:");
  return Object.assign(sqlFromDatabaseSync(db), { close: () => db.close() });
}

/**
 * The JMAP tables' SQL access for a store: its `database` wrapper when it has one. Throws a
 * TypeError when the store exposes no database (e.g. a store without SQL).
 */
export function sqlFromStore(store: Store): JmapSql {
  const database = (store as unknown as { database?: StoreDatabaseLike }).database;
  if (!database) throw new TypeError("Store has no database: JMAP objects need store.database");
  // One wrapper per database: callers on hot paths (every delivery checks vacation responses)
  // then share it, and ensureJmapSchema's once-per-handle check holds.
  let sql = wrappers.get(database);
  if (!sql) {
    sql = wrapStoreDatabase(database);
    wrappers.set(database, sql);
  }
  return sql;
}

const wrappers = new WeakMap<StoreDatabaseLike, JmapSql>();

function wrapStoreDatabase(database: StoreDatabaseLike): JmapSql {
  if (database.run && database.get && database.all) {
    // core/store/sqlite/database.ts: statement caching and savepoint-nesting transactions built in.
    const d = database as Required<Pick<StoreDatabaseLike, "run" | "get" | "all">> & StoreDatabaseLike;
    return {
      run: (sql, ...params) => ({ changes: Number(d.run(sql, ...params).changes) }),
      get: <T>(sql: string, ...params: SqlValue[]) => d.get<T>(sql, ...params),
      all: <T>(sql: string, ...params: SqlValue[]) => d.all<T>(sql, ...params),
      transaction: (fn) => d.transaction(fn),
      applyMigrations: (component, migrations) => d.applyMigrations(component, migrations),
    };
  }
  const raw = database.db ?? database.raw;
  const prepare = database.prepare
    ? (sql: string) => database.prepare!(sql)
    : raw
    ? (sql: string) => raw.prepare(sql) as unknown as StatementLike
    : null;
  if (!prepare) throw new TypeError("Store database offers no prepare()");
  return fromPrepare(
    prepare,
    (fn) => database.transaction(fn),
    (component, migrations) => database.applyMigrations(component, migrations),
  );
}
