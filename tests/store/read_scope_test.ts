/**
 * Read scopes of the SQLite connection (core/store/sqlite/database.ts, issue 24): the SELECTs of
 * one event-loop turn share one read transaction instead of one each, and nothing else runs
 * inside it: a write, a transaction or a PRAGMA ends it first, so this connection's commits are
 * seen by the next read at once and another connection's commits at the latest one turn later.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { setImmediate } from "node:timers";
import { Database } from "../../core/store/sqlite/database.ts";

/** Resolves after the current turn's immediates (the read scope ends there). */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function withDb(fn: (db: Database, path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tern-readscope-" });
  const path = `${dir}/t.db`;
  const db = Database.open(path);
  try {
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
    db.run("INSERT INTO t (id, v) VALUES (1, 'a')");
    await fn(db, path);
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("read scope: SELECTs of one turn share one read transaction, which ends after the turn", async () => {
  await withDb(async (db) => {
    await nextTurn();
    assert.equal(db.raw.isTransaction, false);
    assert.equal(db.get<{ v: string }>("SELECT v FROM t WHERE id = ?", 1)?.v, "a");
    assert.equal(db.raw.isTransaction, true, "the SELECT opened a read scope");
    db.all("SELECT * FROM t");
    db.values("SELECT id FROM t");
    assert.equal(db.raw.isTransaction, true);
    await nextTurn();
    assert.equal(db.raw.isTransaction, false, "the scope ends with the turn");
  });
});

Deno.test("read scope: this connection's writes end the scope and are read back at once, durably committed", async () => {
  await withDb(async (db, path) => {
    await nextTurn();
    db.get("SELECT v FROM t WHERE id = 1");
    db.run("UPDATE t SET v = 'b' WHERE id = 1");
    assert.equal(db.raw.isTransaction, false, "the autocommit write is committed, not held in the scope");
    assert.equal(db.get<{ v: string }>("SELECT v FROM t WHERE id = 1")?.v, "b");
    db.transaction(() => db.run("UPDATE t SET v = 'c' WHERE id = 1"));
    assert.equal(db.get<{ v: string }>("SELECT v FROM t WHERE id = 1")?.v, "c");
    // Committed for every other connection in the same turn (nothing waits in an open transaction).
    const other = new DatabaseSync(path);
    try {
      assert.equal((other.prepare("SELECT v FROM t WHERE id = 1").get() as { v: string }).v, "c");
    } finally {
      other.close();
    }
  });
});

Deno.test("read scope: another connection's commit is seen from the next turn", async () => {
  await withDb(async (db, path) => {
    await nextTurn();
    assert.equal(db.get<{ v: string }>("SELECT v FROM t WHERE id = 1")?.v, "a");
    const other = new DatabaseSync(path);
    try {
      other.exec("PRAGMA busy_timeout = 1000");
      other.exec("UPDATE t SET v = 'z' WHERE id = 1");
    } finally {
      other.close();
    }
    // The same turn reads the snapshot it started with; the next turn reads the new value.
    assert.equal(db.get<{ v: string }>("SELECT v FROM t WHERE id = 1")?.v, "a");
    await nextTurn();
    assert.equal(db.get<{ v: string }>("SELECT v FROM t WHERE id = 1")?.v, "z");
  });
});

Deno.test("read scope: a PRAGMA read after a SELECT runs outside any transaction (a checkpoint is not busy)", async () => {
  await withDb(async (db) => {
    await nextTurn();
    db.get("SELECT v FROM t WHERE id = 1");
    const r = db.get<{ busy: number }>("PRAGMA wal_checkpoint(TRUNCATE)");
    assert.equal(r?.busy, 0);
    assert.equal(db.raw.isTransaction, false);
    // INSERT … RETURNING through `get` is a write: autocommitted, not kept in a scope.
    const row = db.get<{ id: number }>("INSERT INTO t (v) VALUES ('r') RETURNING id");
    assert.ok(row && row.id > 1);
    assert.equal(db.raw.isTransaction, false);
  });
});

Deno.test("read scope: a deferred-sync transaction right after a SELECT commits durably (the scope ends first)", async () => {
  await withDb(async (db) => {
    await nextTurn();
    db.get("SELECT v FROM t WHERE id = 1");
    // PRAGMA synchronous cannot change inside a transaction: the scope must be over by then.
    const { synced } = db.transactionDeferredSync(() => db.run("UPDATE t SET v = 'd' WHERE id = 1"));
    await synced;
    assert.equal(db.get<{ v: string }>("SELECT v FROM t WHERE id = 1")?.v, "d");
    assert.deepEqual(db.values("PRAGMA synchronous"), [[2]]);
  });
});

Deno.test("scopeMemo: a value is read once per read scope and afresh after a write or in the next turn", async () => {
  await withDb(async (db) => {
    let reads = 0;
    const v = () =>
      db.scopeMemo("v:1", () => {
        reads++;
        return db.get<{ v: string }>("SELECT v FROM t WHERE id = 1")?.v;
      });
    await nextTurn();
    assert.equal(v(), "a");
    assert.equal(v(), "a");
    assert.equal(reads, 1, "remembered within the scope");
    db.run("UPDATE t SET v = 'b' WHERE id = 1");
    // Another read opens the next scope first: what the last one remembered is gone with it.
    db.get("SELECT count(*) FROM t");
    assert.equal(v(), "b", "this connection's write is seen at once");
    assert.equal(reads, 2);
    await nextTurn();
    assert.equal(v(), "b");
    assert.equal(reads, 3, "a new turn reads again");
    // Inside a write transaction there is no read scope: nothing is remembered.
    db.transaction(() => {
      assert.equal(v(), "b");
      db.run("UPDATE t SET v = 'c' WHERE id = 1");
      assert.equal(v(), "c");
    });
    assert.equal(v(), "c");
  });
});
