import assert from "node:assert/strict";
import { Database, SchemaTooNewError } from "./database.ts";

Deno.test("Database.transaction commits on return and rolls back on throw", () => {
  const db = Database.open(":memory:");
  try {
    db.exec("CREATE TABLE t (x INTEGER)");
    db.transaction(() => db.run("INSERT INTO t (x) VALUES (1)"));
    assert.throws(() =>
      db.transaction(() => {
        db.run("INSERT INTO t (x) VALUES (2)");
        throw new Error("boom");
      }), /boom/);
    assert.deepEqual(db.all<{ x: number }>("SELECT x FROM t").map((r) => r.x), [1]);
    assert.equal(db.inTransaction, false);
  } finally {
    db.close();
  }
});

Deno.test("Database.transaction nests with savepoints", () => {
  const db = Database.open(":memory:");
  try {
    db.exec("CREATE TABLE t (x INTEGER)");
    db.transaction(() => {
      db.run("INSERT INTO t (x) VALUES (1)");
      assert.throws(() =>
        db.transaction(() => {
          db.run("INSERT INTO t (x) VALUES (2)");
          throw new Error("inner");
        })
      );
      db.transaction(() => db.run("INSERT INTO t (x) VALUES (3)"));
    });
    assert.deepEqual(db.values("SELECT x FROM t ORDER BY x"), [[1], [3]]);
  } finally {
    db.close();
  }
});

Deno.test("Database.transaction rejects an async callback", () => {
  const db = Database.open(":memory:");
  try {
    db.exec("CREATE TABLE t (x INTEGER)");
    assert.throws(
      () => db.transaction(() => Promise.resolve(db.run("INSERT INTO t (x) VALUES (1)"))),
      TypeError,
    );
    assert.equal(db.get<{ n: number }>("SELECT count(*) AS n FROM t")?.n, 0);
  } finally {
    db.close();
  }
});

Deno.test("Database.applyMigrations applies each version once, in order, per component", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/t.db`;
    let db = Database.open(path);
    const v1 = { version: 1, sql: "CREATE TABLE a (x INTEGER)" };
    const v2 = { version: 2, sql: "ALTER TABLE a ADD COLUMN y TEXT" };
    db.applyMigrations("one", [v2, v1]);
    db.applyMigrations("two", [{ version: 1, sql: "CREATE TABLE b (x INTEGER)" }]);
    assert.equal(db.schemaVersion("one"), 2);
    assert.equal(db.schemaVersion("two"), 1);
    assert.equal(db.schemaVersion("three"), 0);
    db.close();
    db = Database.open(path);
    db.applyMigrations("one", [v1, v2, { version: 3, sql: "CREATE TABLE c (x INTEGER)" }]);
    assert.equal(db.schemaVersion("one"), 3);
    // A failing migration leaves no trace and keeps the recorded version.
    assert.throws(() =>
      db.applyMigrations("one", [{ version: 4, sql: "CREATE TABLE d (x INTEGER); BOGUS" }])
    );
    assert.equal(db.schemaVersion("one"), 3);
    assert.equal(db.get("SELECT 1 FROM sqlite_master WHERE name = 'd'"), undefined);
    assert.throws(() => db.applyMigrations("one", [{ version: 0, sql: "" }]), RangeError);
    db.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Database.statement caches prepared statements by SQL text", () => {
  const db = Database.open(":memory:");
  try {
    assert.equal(db.statement("SELECT 1"), db.statement("SELECT 1"));
    assert.notEqual(db.statement("SELECT 1"), db.statement("SELECT 2"));
  } finally {
    db.close();
  }
});

Deno.test("Database.get and all return the rows node:sqlite returns, also after the schema changes", () => {
  const db = Database.open(":memory:");
  try {
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, data BLOB, n REAL)");
    db.run("INSERT INTO t (id, name, data, n) VALUES (1, 'a', x'00ff', 1.5), (2, NULL, NULL, NULL)");
    const direct = (sql: string) => db.statement(sql).all().map((r) => ({ ...r }));
    for (
      const sql of [
        "SELECT * FROM t ORDER BY id",
        "SELECT id, name AS id, n FROM t ORDER BY id", // a later column of the same name wins
        'SELECT id AS "__proto__", name AS "a""b", 1 AS "count(*)" FROM t ORDER BY id',
      ]
    ) {
      const rows = db.all<Record<string, unknown>>(sql);
      assert.deepEqual(rows.map((r) => ({ ...r })), direct(sql), sql);
      assert.deepEqual(Object.keys(rows[0]!), Object.keys(direct(sql)[0]!), sql);
      assert.deepEqual({ ...db.get<Record<string, unknown>>(sql) }, direct(sql)[0], sql);
    }
    // A column named __proto__ is an own property, never the prototype.
    const odd = db.get<Record<string, unknown>>('SELECT 7 AS "__proto__"')!;
    assert.deepEqual(Object.getOwnPropertyDescriptor(odd, "__proto__")?.value, 7);
    assert.equal(db.get("SELECT * FROM t WHERE id = 3"), undefined);
    assert.deepEqual(db.all("SELECT * FROM t WHERE id = 3"), []);
    // `*` widens with the table (the prepared statement is re-prepared by SQLite): by exec ...
    db.exec("ALTER TABLE t ADD COLUMN extra TEXT DEFAULT 'e'");
    assert.deepEqual({ ...db.get<Record<string, unknown>>("SELECT * FROM t WHERE id = 1") }, {
      ...direct("SELECT * FROM t WHERE id = 1")[0],
    });
    assert.equal(db.get<{ extra: string }>("SELECT * FROM t WHERE id = 1")?.extra, "e");
    // ... and by a migration.
    db.applyMigrations("t", [{ version: 1, sql: "ALTER TABLE t ADD COLUMN more INTEGER DEFAULT 9" }]);
    assert.equal(db.all<{ more: number }>("SELECT * FROM t ORDER BY id")[1]?.more, 9);
  } finally {
    db.close();
  }
});

Deno.test("Database.get and all read a table another connection widened with its new column", async () => {
  const dir = await Deno.makeTempDir();
  const a = Database.open(`${dir}/t.db`);
  const b = Database.open(`${dir}/t.db`);
  try {
    a.exec("CREATE TABLE t (id INTEGER PRIMARY KEY)");
    a.run("INSERT INTO t (id) VALUES (1)");
    assert.deepEqual({ ...a.get<Record<string, unknown>>("SELECT * FROM t") }, { id: 1 });
    assert.deepEqual(a.all<Record<string, unknown>>("SELECT * FROM t ORDER BY id").map((r) => ({ ...r })), [{
      id: 1,
    }]);
    const insert = "INSERT INTO t (id) VALUES (?) RETURNING *";
    assert.deepEqual({ ...a.get<Record<string, unknown>>(insert, 2) }, { id: 2 });
    b.exec("ALTER TABLE t ADD COLUMN x INTEGER DEFAULT 5");
    // A statement that wrote is not run a second time for the new width: one row more, not two.
    assert.deepEqual({ ...a.get<Record<string, unknown>>(insert, 3) }, { id: 3, x: 5 });
    assert.equal(a.get<{ n: number }>("SELECT count(*) AS n FROM t")?.n, 3);
    a.run("DELETE FROM t WHERE id > 1");
    a.endReadScope(); // a new snapshot, which has the column
    assert.deepEqual({ ...a.get<Record<string, unknown>>("SELECT * FROM t") }, { id: 1, x: 5 });
    assert.deepEqual(a.all<Record<string, unknown>>("SELECT * FROM t ORDER BY id").map((r) => ({ ...r })), [{
      id: 1,
      x: 5,
    }]);
  } finally {
    a.close();
    b.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Database.transactionDeferredSync commits at once and resolves synced after the WAL sync", async () => {
  const dir = await Deno.makeTempDir();
  const db = Database.open(`${dir}/t.db`);
  try {
    db.exec("CREATE TABLE t (x INTEGER)");
    const { result, synced } = db.transactionDeferredSync(() => {
      db.run("INSERT INTO t (x) VALUES (1)");
      return "done";
    });
    assert.equal(result, "done");
    // Committed (visible, no transaction open) before the sync has finished.
    assert.equal(db.inTransaction, false);
    assert.deepEqual(db.values("SELECT x FROM t"), [[1]]);
    await synced;
    assert.throws(() =>
      db.transactionDeferredSync(() => {
        throw new Error("boom");
      }), /boom/);
    assert.deepEqual(db.values("SELECT x FROM t"), [[1]]);
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Database stays at synchronous=NORMAL between deferred-sync commits and sets FULL before any other write", async () => {
  const dir = await Deno.makeTempDir();
  const db = Database.open(`${dir}/t.db`);
  // Read on the raw connection: the wrapper's own PRAGMA statements set FULL first.
  const level = () => (db.raw.prepare("PRAGMA synchronous").get() as { synchronous: number }).synchronous;
  try {
    db.exec("CREATE TABLE t (x INTEGER)");
    assert.equal(level(), 2);
    // Deferred-sync commits run at NORMAL (1), which stays set between them (no PRAGMA per batch).
    for (let i = 0; i < 3; i++) {
      const { synced } = db.transactionDeferredSync(() => {
        assert.equal(level(), 1);
        db.run("INSERT INTO t (x) VALUES (?)", i);
      });
      await synced;
      assert.equal(level(), 1);
    }
    // Every other write commits at FULL (2): an ordinary transaction, a statement on its own,
    // SQL executed as is, and a RETURNING statement through get.
    db.transaction(() => assert.equal(level(), 2));
    const writes: (() => unknown)[] = [
      () => db.run("INSERT INTO t (x) VALUES (10)"),
      () => db.exec("INSERT INTO t (x) VALUES (11)"),
      () => db.get("INSERT INTO t (x) VALUES (12) RETURNING x"),
    ];
    for (const write of writes) {
      await db.transactionDeferredSync(() => db.run("INSERT INTO t (x) VALUES (0)")).synced;
      assert.equal(level(), 1);
      write();
      assert.equal(level(), 2);
    }
    // A plain SELECT changes nothing.
    await db.transactionDeferredSync(() => db.run("INSERT INTO t (x) VALUES (0)")).synced;
    db.get("SELECT count(*) FROM t");
    assert.equal(level(), 1);
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Database.applyMigrations refuses a database whose schema is newer than the code (no downgrade)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/t.db`;
    let db = Database.open(path);
    db.applyMigrations("one", [
      { version: 1, sql: "CREATE TABLE a (x INTEGER)" },
      { version: 2, sql: "CREATE TABLE b (x INTEGER)" },
    ]);
    db.close();
    db = Database.open(path);
    assert.throws(
      () => db.applyMigrations("one", [{ version: 1, sql: "CREATE TABLE a (x INTEGER)" }]),
      (e: unknown) => e instanceof SchemaTooNewError && e.found === 2 && e.known === 1,
    );
    assert.equal(db.schemaVersion("one"), 2);
    db.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
