/**
 * A thin wrapper around `node:sqlite`'s `DatabaseSync` shared by every core module that keeps
 * tables in Tern's SQLite database (store, JMAP objects, queue, tokens, bans). For `core/` only:
 * protocols reach data through the `Store` interface.
 *
 * - Opens the file in WAL mode (`auto_vacuum=INCREMENTAL` when new, a checkpoint every 1 MiB of
 *   WAL and the WAL cut back to 1 MiB when it restarts) with `synchronous=FULL` (a COMMIT returns after the WAL is fsynced;
 *   `transactionDeferredSync` commits without waiting and syncs the WAL off the event loop; the
 *   level stays NORMAL after it until the next write that must wait for the disk),
 *   foreign keys on and a busy timeout, so the CLI can work on the data dir while a server runs.
 * - `transaction(fn)` runs `fn` inside `BEGIN IMMEDIATE … COMMIT` (ROLLBACK when it throws); nested
 *   calls become savepoints.
 * - Prepared statements are cached by their SQL text.
 * - `applyMigrations(component, migrations)` applies each component's schema versions in order,
 *   recorded in `schema_migrations(component, version)`.
 *
 * @example
 * ```ts
 * const db = Database.open(":memory:");
 * db.applyMigrations("example", [{ version: 1, sql: "CREATE TABLE t (x INTEGER)" }]);
 * db.transaction(() => db.run("INSERT INTO t (x) VALUES (?)", 1));
 * db.close();
 * ```
 *
 * @module
 */
import { backup, DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { clearImmediate, setImmediate } from "node:timers";
import { Checkpointer } from "./checkpointer.ts";

/** Bytes the WAL file is cut back to when it restarts after a checkpoint. */
export const WAL_SIZE_LIMIT = 1024 * 1024;

/**
 * The same while the checkpoint worker runs (checkpointer.ts): a burst restarts the WAL after each
 * of the worker's checkpoints, and cutting the file back each time (an ftruncate in the COMMIT or
 * BEGIN that restarts it, on the event loop, then the file grown again block by block) doubled the
 * time commits stalled (measured). The worker truncates the file once the writer has gone quiet.
 */
export const BURST_WAL_SIZE_LIMIT = 32 * WAL_SIZE_LIMIT;

/** A value bound to a statement parameter. */
export type SqlValue = SQLInputValue;

/** One schema version of a component. */
export interface Migration {
  /** Positive, strictly increasing within a component. */
  version: number;
  /** One or more SQL statements. */
  sql: string;
}

/** The database was written by a newer Tern: its schema version of a component is ahead of this code's. */
export class SchemaTooNewError extends Error {
  override name = "SchemaTooNewError";
  /**
   * @param component the schema component ("store", "queue", …)
   * @param found the version recorded in the database
   * @param known the newest version this code knows
   */
  constructor(readonly component: string, readonly found: number, readonly known: number) {
    super(
      `The database schema of "${component}" is version ${found}, newer than this Tern knows (${known}): ` +
        "run the Tern release that wrote it (or newer); downgrades are not supported",
    );
  }
}

/** Options of `Database.open`. */
export interface DatabaseOptions {
  /** Milliseconds a writer waits for another process's lock before failing (default 10,000). */
  busyTimeoutMs?: number;
  /**
   * Opens an existing database for reading only (SQLITE_OPEN_READONLY): no pragma that writes
   * (journal mode, auto_vacuum) is set and SQLite refuses every write ("attempt to write a
   * readonly database"). For a second connection beside the server's own, e.g. the JMAP read
   * workers (protocols/jmap/read_pool.ts); the database must already be in WAL mode.
   */
  readOnly?: boolean;
}

/** Result of a write statement. */
export interface RunResult {
  /** Rows changed. */
  changes: number;
  /** Row id of the last insert. */
  lastInsertRowid: number;
}

/** An array-mode statement and how its rows become objects (`Database.#reader`). */
interface Reader {
  st: StatementSync;
  /** Its result columns, when prepared. */
  width: number;
  build: (row: unknown[]) => Record<string, unknown>;
}

/**
 * A row of a statement whose width changed since it was prepared (`ALTER TABLE … ADD COLUMN` by
 * another connection appends columns): its values under the statement's current column names.
 */
function staleRow(reader: Reader, row: unknown[]): Record<string, unknown> {
  const names = (reader.st as unknown as { columns(): { name: string }[] }).columns().map((c) => c.name);
  const out: Record<string, unknown> = {};
  row.forEach((value, i) => {
    if (i < names.length) {
      Object.defineProperty(out, names[i]!, { value, enumerable: true, writable: true, configurable: true });
    }
  });
  return out;
}

/** The SQLite database of a Tern data dir (for core/ only). */
export class Database {
  readonly #db: DatabaseSync;
  /** The WAL file, or null for an in-memory database. */
  readonly #walPath: string | null;
  /** The WAL file handle kept open for the deferred syncs (`#openWal`), with its inode. */
  #wal: { file: Deno.FsFile; ino: number } | null = null;
  readonly #statements = new Map<string, StatementSync>();
  /** Array-mode statements of `get`, `all` and `values` by SQL text (`#reader`). */
  readonly #readers = new Map<string, Reader>();
  #depth = 0;
  #savepoint = 0;
  /** The connection's `PRAGMA synchronous` level (`#safety`). */
  #synchronous: "FULL" | "NORMAL" = "FULL";
  /** Write calls made on this connection (`writes`). */
  #writes = 0;
  readonly #busyTimeoutMs: number;
  /** Checkpoints in a worker once the WAL reaches the limit (`checkpointInBackground`). */
  #checkpointer: Checkpointer | null = null;
  /** The open read scope's end (see `#enterRead`), or null when none is open. */
  #readScope: ReturnType<typeof setImmediate> | null = null;
  /** Whether each SQL text is a plain SELECT (may run in a read scope). */
  readonly #selects = new Map<string, boolean>();
  /** Values read in the open read scope (`scopeMemo`); emptied when the scope ends. */
  readonly #memo = new Map<string, unknown>();

  private constructor(db: DatabaseSync, walPath: string | null, busyTimeoutMs: number) {
    this.#db = db;
    this.#walPath = walPath;
    this.#busyTimeoutMs = busyTimeoutMs;
  }

  /** Opens (creating if needed) the database at `path` (or ":memory:") with Tern's pragmas. */
  static open(path: string, opts: DatabaseOptions = {}): Database {
    const db = new DatabaseSync(path, {
      enableForeignKeyConstraints: true,
      readOnly: opts.readOnly === true,
    });
    const busyTimeoutMs = Math.max(0, Math.trunc(opts.busyTimeoutMs ?? 10_000));
    if (opts.readOnly === true) {
      // Per-connection settings only: the file's journal mode and auto_vacuum are the writer's.
      try {
        db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
        db.exec("PRAGMA temp_store = MEMORY");
        db.exec("PRAGMA cache_size = -65536");
      } catch (err) {
        db.close();
        throw err;
      }
      return new Database(db, null, busyTimeoutMs);
    }
    try {
      db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
      // Takes effect on a new database only (before its first table): freed pages can then be
      // given back to the filesystem (disk_space.ts). Must precede the switch to WAL.
      db.exec("PRAGMA auto_vacuum = INCREMENTAL");
      if (path !== ":memory:") db.exec("PRAGMA journal_mode = WAL");
      // A WAL that grew (a big transaction, a checkpoint held back by a reader) is cut back to
      // this size when it restarts, instead of keeping its largest size for good.
      db.exec(`PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT}`);
      // Checkpoint every 1 MiB of WAL instead of SQLite's 4 MiB: the WAL stays at about that size
      // (issue 14: a 4 MiB WAL doubled the disk of a small mailbox). One more database fsync per
      // 256 pages written; no throughput change measured on serial APPENDs.
      if (path !== ":memory:") db.exec(`PRAGMA wal_autocheckpoint = ${WAL_SIZE_LIMIT / 4096}`);
      // Durability contract: COMMIT returns only after the WAL is fsynced.
      db.exec("PRAGMA synchronous = FULL");
      db.exec("PRAGMA foreign_keys = ON");
      db.exec("PRAGMA temp_store = MEMORY");
      db.exec("PRAGMA cache_size = -65536");
    } catch (err) {
      db.close();
      throw err;
    }
    return new Database(db, path === ":memory:" ? null : `${path}-wal`, busyTimeoutMs);
  }

  /** The underlying connection, for what the wrapper does not cover (e.g. `function()`). */
  get raw(): DatabaseSync {
    return this.#db;
  }

  /**
   * How many writes this connection has made: every `run`, `exec` and `transaction` call counts one
   * (a read-only or rolled-back one too). Two equal values mean this connection wrote nothing in
   * between, so a value read at the first still holds unless another connection committed (see
   * `PRAGMA data_version`). Like `total_changes()`, without a statement (organizations.ts).
   */
  get writes(): number {
    return this.#writes;
  }

  /** True while a transaction opened by `transaction()` is running. */
  get inTransaction(): boolean {
    return this.#depth > 0;
  }

  /** A cached prepared statement for `sql`. */
  statement(sql: string): StatementSync {
    let st = this.#statements.get(sql);
    if (!st) {
      st = this.#db.prepare(sql);
      this.#statements.set(sql, st);
    }
    return st;
  }

  /**
   * Reads share one read transaction per event-loop turn (a "read scope"): a SELECT outside a
   * transaction opens one (deferred BEGIN) that ends right after this turn's I/O (setImmediate),
   * or before anything else runs on the connection (a write, a transaction, a PRAGMA, close). In
   * WAL mode each autocommit SELECT otherwise takes and drops the WAL read lock on its own: about
   * 6 µs of a 9.5 µs row lookup (issue 24). The reads of one turn see one snapshot, as those of
   * one synchronous method already did; a commit of this connection ends the scope first, so it
   * is always seen by the next read, and another process's commit at the latest one turn later.
   */
  #enterRead(sql: string): void {
    let select = this.#selects.get(sql);
    if (select === undefined) {
      select = /^\s*SELECT\b/i.test(sql) && !/\bRETURNING\b/i.test(sql);
      this.#selects.set(sql, select);
    }
    if (!select) {
      // May write (RETURNING): outside a transaction it commits on its own, durably.
      this.#endRead();
      if (this.#depth === 0) this.#safety("FULL");
      return;
    }
    if (this.#readScope !== null || this.#depth > 0 || this.#db.isTransaction) return;
    this.#db.exec("BEGIN");
    this.#readScope = setImmediate(() => {
      this.#readScope = null;
      this.#memo.clear();
      this.#finishRead();
    });
  }

  /** Ends the open read scope, if any (before a write, a transaction or a statement not a SELECT). */
  #endRead(): void {
    if (this.#readScope === null) return;
    clearImmediate(this.#readScope);
    this.#readScope = null;
    this.#memo.clear();
    this.#finishRead();
  }

  #finishRead(): void {
    // A read-only transaction: COMMIT only releases the snapshot (no write, no sync).
    if (!this.#db.isOpen || !this.#db.isTransaction || this.#depth > 0) return;
    try {
      this.#db.exec("COMMIT");
    } catch {
      this.#db.exec("ROLLBACK");
    }
  }

  /**
   * Ends the open read scope now, so that the next read starts a new snapshot (sees every commit
   * made before this call, by any connection). A JMAP read worker calls it when a request arrives
   * (protocols/jmap/read_worker.ts): a write acknowledged before the request must be seen.
   */
  endReadScope(): void {
    this.#endRead();
  }

  /**
   * The value `read` returns, remembered for the rest of the open read scope: the scope is one
   * snapshot, and any write on this connection ends it first, so a value read in it stays true
   * while it lasts (a row several methods of one request look up, issue 24). Outside a read scope
   * (in a write transaction, or when `read` runs no SELECT) nothing is remembered. `key` must name
   * everything the value depends on.
   */
  scopeMemo<T>(key: string, read: () => T): T {
    if (this.#readScope !== null && this.#memo.has(key)) return this.#memo.get(key) as T;
    const value = read();
    if (this.#readScope !== null) this.#memo.set(key, value);
    return value;
  }

  /** Runs a write statement. */
  run(sql: string, ...params: SqlValue[]): RunResult {
    this.#endRead();
    if (this.#depth === 0) this.#safety("FULL");
    this.#writes++;
    const r = this.statement(sql).run(...params);
    return { changes: Number(r.changes), lastInsertRowid: Number(r.lastInsertRowid) };
  }

  /** First row of a query, or undefined. */
  get<T>(sql: string, ...params: SqlValue[]): T | undefined {
    this.#enterRead(sql);
    const reader = this.#reader(sql);
    const row = reader.st.get(...params) as unknown as unknown[] | undefined;
    if (row === undefined) return undefined;
    if (row.length === reader.width) return reader.build(row) as T;
    this.#forgetReaders();
    if (this.#selects.get(sql) === true) return this.statement(sql).get(...params) as T | undefined;
    return staleRow(reader, row) as T; // a statement that wrote is never run twice
  }

  /** All rows of a query as objects. */
  all<T>(sql: string, ...params: SqlValue[]): T[] {
    this.#enterRead(sql);
    const reader = this.#reader(sql);
    const rows = reader.st.all(...params) as unknown as unknown[][];
    if (rows.length === 0) return [];
    if (rows[0]!.length === reader.width) return rows.map(reader.build) as T[];
    this.#forgetReaders();
    if (this.#selects.get(sql) === true) return this.statement(sql).all(...params) as T[];
    return rows.map((row) => staleRow(reader, row)) as T[]; // a statement that wrote is never run twice
  }

  /** All rows of a query as arrays of column values (faster for large results). */
  values(sql: string, ...params: SqlValue[]): unknown[][] {
    this.#enterRead(sql);
    return this.#reader(sql).st.all(...params) as unknown as unknown[][];
  }

  /**
   * A cached prepared statement for `sql` returning each row as an array of its values, with the
   * function turning such a row into the object `node:sqlite` would return (one property per result
   * column in order; a later column of the same name replaces an earlier one). The function is
   * compiled once per statement as an object literal, whose objects then share one shape: half the
   * cost of `node:sqlite` building each object property by property (a 24-column mailbox row: 2.5
   * against 5 µs). A statement in array mode keeps the width it first had when a schema change
   * widens `*` (Deno's `node:sqlite`), so DDL run here drops these statements (`#forgetReaders`), and
   * a SELECT row whose width differs from the columns' (DDL by another connection) is read again in
   * object mode; a statement that may have written (`RETURNING`) is not run again: its row keeps the
   * columns it has.
   */
  #reader(sql: string): Reader {
    let reader = this.#readers.get(sql);
    if (!reader) {
      const st = this.#db.prepare(sql);
      // Present at runtime in Deno's node:sqlite, missing from its type declarations.
      const arrays = st as unknown as {
        setReturnArrays(enabled: boolean): void;
        columns(): { name: string }[];
      };
      arrays.setReturnArrays(true);
      const names = arrays.columns().map((c) => c.name);
      // Column names come from the statement's own SQL (Tern's), quoted as JSON string literals; a
      // literal `"__proto__": x` would set the prototype, so that name is a computed key.
      const body = names.map((n, i) =>
        `${n === "__proto__" ? `[${JSON.stringify(n)}]` : JSON.stringify(n)}: row[${i}]`
      ).join(", ");
      const build = new Function("row", `return { ${body} };`) as Reader["build"];
      reader = { st, width: names.length, build };
      this.#readers.set(sql, reader);
    }
    return reader;
  }

  /** Drops the array-mode statements (after DDL, or a row of a width they did not expect). */
  #forgetReaders(): void {
    this.#readers.clear();
  }

  /** Executes SQL without parameters (may hold several statements). */
  exec(sql: string): void {
    this.#endRead();
    if (this.#depth === 0) this.#safety("FULL");
    this.#writes++;
    this.#db.exec(sql);
    // DDL may change the columns of a prepared `SELECT *` (`#reader`).
    if (/\b(?:ALTER|CREATE|DROP)\b/i.test(sql)) this.#forgetReaders();
  }

  /**
   * Runs `fn` in a transaction: `BEGIN IMMEDIATE` (takes the write lock at once, so a concurrent
   * writer waits in busy_timeout instead of failing on upgrade), COMMIT when `fn` returns, ROLLBACK
   * when it throws. Nested calls use savepoints. `fn` must be synchronous.
   */
  transaction<T>(fn: () => T): T {
    this.#endRead();
    // A write through `get`/`all` (RETURNING) happens in a transaction: counted here.
    this.#writes++;
    if (this.#depth > 0) {
      // Outside any transaction (SQLite rolled it back), SAVEPOINT would begin a new one, which
      // its RELEASE would commit on its own: refused instead.
      if (!this.#db.isTransaction) throw new Error("The transaction was rolled back by an earlier error");
      const name = `sp${++this.#savepoint}`;
      this.#db.exec(`SAVEPOINT ${name}`);
      this.#depth++;
      try {
        const result = fn();
        assertSync(result);
        this.#db.exec(`RELEASE ${name}`);
        return result;
      } catch (err) {
        // Some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM…) make SQLite roll back the whole
        // transaction, savepoints included: then the caller gets that error, not "no such savepoint".
        if (this.#db.isTransaction) {
          this.#db.exec(`ROLLBACK TO ${name}`);
          this.#db.exec(`RELEASE ${name}`);
        }
        throw err;
      } finally {
        this.#depth--;
      }
    }
    this.#safety("FULL");
    return this.#outer(fn);
  }

  /**
   * Sets `PRAGMA synchronous` for the next commit; only outside a transaction (SQLite refuses the
   * change inside one, a read scope included: callers end it first). The level stays as set until
   * a write needs the other one: a server's group commits (NORMAL, `transactionDeferredSync`) then
   * set it once, not twice per batch (two statements of a single STORE's 15, issue 14), and every
   * other write (`transaction`, `run`, `exec`, a RETURNING statement outside a transaction) sets
   * FULL first.
   */
  #safety(level: "FULL" | "NORMAL"): void {
    if (this.#synchronous === level || this.#db.isTransaction) return;
    this.#db.exec(`PRAGMA synchronous = ${level}`);
    this.#synchronous = level;
  }

  /** `BEGIN IMMEDIATE`, `fn`, then COMMIT, or ROLLBACK when it throws (at depth 0). */
  #outer<T>(fn: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    this.#depth = 1;
    try {
      const result = fn();
      assertSync(result);
      this.#db.exec("COMMIT");
      this.#checkpointer?.afterCommit();
      return result;
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      throw err;
    } finally {
      this.#depth = 0;
    }
  }

  /**
   * Rolls back everything the open transaction wrote and begins a new one (`BEGIN IMMEDIATE`), at
   * the top level of a `transaction` or `transactionDeferredSync` callback only (no savepoint
   * open): for a group commit whose first job, run without a savepoint, failed (write_queue.ts).
   */
  restartTransaction(): void {
    if (this.#depth !== 1) throw new Error("restartTransaction needs a transaction without savepoints");
    this.#writes++;
    if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
    this.#db.exec("BEGIN IMMEDIATE");
  }

  /**
   * Like `transaction`, but COMMIT does not wait for the disk: the commit runs with
   * `synchronous=NORMAL` and the returned `synced` promise resolves once the WAL file has been
   * fdatasynced from a worker thread (so the event loop keeps serving while the disk flushes).
   * The change is durable only when `synced` resolves: callers must not acknowledge it before.
   * The connection stays at NORMAL afterwards, until a write that must wait for the disk.
   * Same durability as `synchronous=FULL`: in WAL mode NORMAL still syncs the WAL before each
   * checkpoint and its header when the WAL restarts, and the fdatasync covers every frame written
   * so far. Without a WAL (in-memory database) `synced` is already resolved. Not nestable.
   */
  transactionDeferredSync<T>(fn: () => T): { result: T; synced: Promise<void> } {
    if (this.#depth > 0) throw new Error("transactionDeferredSync cannot be nested");
    if (this.#walPath === null) return { result: this.transaction(fn), synced: Promise.resolve() };
    // The safety level cannot change inside a transaction (an open read scope included).
    this.#endRead();
    this.#writes++;
    this.#safety("NORMAL");
    const result = this.#outer(fn);
    return { result, synced: this.#syncWal(this.#walPath) };
  }

  /**
   * Moves this connection's WAL checkpoints to a worker thread once the WAL has reached
   * `WAL_SIZE_LIMIT` (checkpointer.ts): a server's commits then never copy pages into the database
   * file nor fsync it on the event loop. No-op in memory or when already on. Stop it with
   * `stopBackgroundCheckpoints` before `close`.
   */
  checkpointInBackground(onError?: (err: unknown) => void): void {
    if (this.#walPath === null || this.#checkpointer) return;
    this.#checkpointer = new Checkpointer({
      path: this.#walPath.slice(0, -"-wal".length),
      limitBytes: WAL_SIZE_LIMIT,
      busyTimeoutMs: this.#busyTimeoutMs,
      setAutoCheckpoint: (on) => {
        this.#endRead();
        if (!this.#db.isOpen) return;
        this.#db.exec(`PRAGMA wal_autocheckpoint = ${on ? WAL_SIZE_LIMIT / 4096 : 0}`);
        this.#db.exec(`PRAGMA journal_size_limit = ${on ? WAL_SIZE_LIMIT : BURST_WAL_SIZE_LIMIT}`);
      },
      onError,
    });
  }

  /** The background checkpointer, when `checkpointInBackground` was called. */
  get checkpointer(): Checkpointer | null {
    return this.#checkpointer;
  }

  /** Stops the background checkpoints (after the one running) and closes the worker's connection. */
  async stopBackgroundCheckpoints(): Promise<void> {
    await this.#checkpointer?.close();
  }

  /** fdatasyncs the WAL file on this thread (no-op in memory); see `transactionDeferredSync`. */
  syncWalSync(): void {
    if (this.#walPath === null) return;
    let file: Deno.FsFile | null = null;
    try {
      file = Deno.openSync(this.#walPath, { read: true, write: true });
      file.syncDataSync();
    } catch {
      this.#endRead();
      this.#db.exec("PRAGMA wal_checkpoint(FULL)");
    } finally {
      file?.close();
    }
  }

  async #syncWal(walPath: string): Promise<void> {
    try {
      const kept = this.#openWal(walPath);
      if (kept !== null) {
        await kept.syncData();
        return;
      }
      const file = await Deno.open(walPath, { read: true, write: true });
      try {
        await file.syncData();
      } finally {
        file.close();
      }
    } catch {
      this.#dropWal();
      // No WAL to sync (e.g. removed after a checkpoint by the last other connection): a FULL
      // checkpoint syncs the WAL and the database file, which then hold every commit.
      this.#endRead();
      this.#db.exec("PRAGMA wal_checkpoint(FULL)");
    }
  }

  /**
   * The WAL file, kept open between commits (an open and a close per commit showed in profiles).
   * A handle kept open would miss a WAL that SQLite removed and recreated, so the path's inode is
   * compared with the handle's on every call: while the handle is open its inode cannot be reused,
   * so the same number means the same file. Null where the platform has no inode numbers
   * (Windows): the caller opens the file afresh. Throws when there is no WAL file.
   */
  #openWal(walPath: string): Deno.FsFile | null {
    const ino = Deno.statSync(walPath).ino;
    if (ino === null) return null;
    if (this.#wal !== null && ino === this.#wal.ino) return this.#wal.file;
    this.#dropWal();
    const file = Deno.openSync(walPath, { read: true, write: true });
    const openedIno = file.statSync().ino;
    if (openedIno === null) {
      file.close();
      return null;
    }
    this.#wal = { file, ino: openedIno };
    return file;
  }

  /** Closes the kept WAL handle (a sync still running on it finishes: it holds its own reference). */
  #dropWal(): void {
    const wal = this.#wal;
    this.#wal = null;
    try {
      wal?.file.close();
    } catch {
      // already closed
    }
  }

  /**
   * Applies the migrations of `component` whose version is above the recorded one, in version
   * order, each in its own transaction together with its `schema_migrations` row.
   */
  applyMigrations(component: string, migrations: Migration[]): void {
    this.#endRead();
    this.#db.exec(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         component TEXT NOT NULL,
         version INTEGER NOT NULL,
         applied_at INTEGER NOT NULL,
         PRIMARY KEY (component, version)
       )`,
    );
    const sorted = [...migrations].sort((a, b) => a.version - b.version);
    for (let i = 0; i < sorted.length; i++) {
      const m = sorted[i]!;
      if (!Number.isInteger(m.version) || m.version <= 0 || (i > 0 && sorted[i - 1]!.version === m.version)) {
        throw new RangeError(`Invalid migration version for "${component}": ${m.version}`);
      }
    }
    // Upgrades run forward only: a database written by a newer Tern (a later schema version of this
    // component) is refused rather than used with code that does not know its tables.
    const newest = sorted.at(-1)?.version ?? 0;
    const recorded = this.schemaVersion(component);
    if (recorded > newest) throw new SchemaTooNewError(component, recorded, newest);
    for (const m of sorted) {
      this.transaction(() => {
        const done = this.get<{ v: number | null }>(
          "SELECT max(version) AS v FROM schema_migrations WHERE component = ?",
          component,
        );
        if ((done?.v ?? 0) >= m.version) return;
        this.#db.exec(m.sql);
        this.#forgetReaders();
        this.run(
          "INSERT INTO schema_migrations (component, version, applied_at) VALUES (?, ?, ?)",
          component,
          m.version,
          Date.now(),
        );
      });
    }
  }

  /** Current schema version of a component (0 when none applied). */
  schemaVersion(component: string): number {
    const exists = this.get<{ n: number }>(
      "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
    );
    if (!exists || exists.n === 0) return 0;
    return this.get<{ v: number | null }>(
      "SELECT max(version) AS v FROM schema_migrations WHERE component = ?",
      component,
    )?.v ?? 0;
  }

  /**
   * Copies the database to a new file with SQLite's online backup API (a consistent copy while other
   * connections keep writing; the copy restarts when another connection changes it meanwhile).
   * `VACUUM INTO` would do the same, but it attaches a database, which Deno's `node:sqlite` refuses
   * without full permissions.
   */
  async backupTo(path: string): Promise<void> {
    // One step (rate -1): all pages under one read transaction, so steady writers cannot restart it.
    this.#endRead();
    await backup(this.#db, path, { rate: -1 });
  }

  /** Closes the connection (statements are finalized by SQLite). */
  close(): void {
    // Normally stopped already (stopBackgroundCheckpoints); otherwise the worker closes its own
    // connection after this one.
    void this.#checkpointer?.close();
    this.#endRead();
    this.#dropWal();
    this.#statements.clear();
    this.#readers.clear();
    if (this.#db.isOpen) this.#db.close();
  }
}

function assertSync(result: unknown): void {
  if (result instanceof Promise) {
    throw new TypeError("Database.transaction callback must be synchronous: it returned a Promise");
  }
}
