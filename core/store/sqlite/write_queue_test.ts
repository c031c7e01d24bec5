/**
 * `WriteQueue` batches (issue 14): the statements a batch runs around its jobs, and a failing job
 * alone in its batch or beside others.
 *
 * @module
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import type { Database } from "./database.ts";
import type { WriteQueue } from "./write_queue.ts";
import { withQueue as withTestQueue } from "./_write_queue_test_support.ts";

/** A queue over a new database with table t. */
function withQueue(fn: (q: WriteQueue, db: Database) => Promise<void>): Promise<void> {
  return withTestQueue("CREATE TABLE t (x INTEGER CHECK (x < 100))", fn);
}

/**
 * The SQL the connection executes outside prepared statements (BEGIN, SAVEPOINT, COMMIT,
 * PRAGMA…) while `fn` runs: the real connection's calls, recorded on their way through.
 */
async function execsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const proto = DatabaseSync.prototype as unknown as { exec(sql: string): void };
  const exec = proto.exec;
  const seen: string[] = [];
  proto.exec = function (this: DatabaseSync, sql: string) {
    seen.push(sql.replace(/sp\d+/, "spN"));
    return exec.call(this, sql);
  };
  try {
    await fn();
  } finally {
    proto.exec = exec;
  }
  return seen;
}

const rows = (db: Database) => db.all<{ x: number }>("SELECT x FROM t ORDER BY x").map((r) => r.x);

Deno.test("write queue: a job alone in its batch runs between BEGIN and COMMIT with no savepoint, and the safety level is set once", async () => {
  await withQueue(async (q, db) => {
    await q.run(() => db.run("INSERT INTO t (x) VALUES (0)"));
    const execs = await execsDuring(async () => {
      for (let i = 1; i <= 3; i++) await q.run(() => db.run("INSERT INTO t (x) VALUES (?)", i));
    });
    assert.deepEqual(execs, [
      "BEGIN IMMEDIATE",
      "COMMIT",
      "BEGIN IMMEDIATE",
      "COMMIT",
      "BEGIN IMMEDIATE",
      "COMMIT",
    ]);
    assert.deepEqual(rows(db), [0, 1, 2, 3]);
  });
});

Deno.test("write queue: jobs sharing a batch each run in a savepoint, except the first", async () => {
  await withQueue(async (q, db) => {
    await q.run(() => db.run("INSERT INTO t (x) VALUES (0)"));
    const execs = await execsDuring(() =>
      Promise.all([1, 2, 3].map((i) => q.run(() => db.run("INSERT INTO t (x) VALUES (?)", i))))
    );
    assert.deepEqual(execs, [
      "BEGIN IMMEDIATE",
      "SAVEPOINT spN",
      "RELEASE spN",
      "SAVEPOINT spN",
      "RELEASE spN",
      "COMMIT",
    ]);
    assert.deepEqual(rows(db), [0, 1, 2, 3]);
  });
});

Deno.test("write queue: a failing job alone in its batch is rejected with its own error and leaves nothing written", async () => {
  await withQueue(async (q, db) => {
    const flushes0 = q.stats.flushes;
    const failing = q.run(() => {
      db.run("INSERT INTO t (x) VALUES (1)");
      db.run("INSERT INTO t (x) VALUES (500)"); // fails the CHECK
    });
    await assert.rejects(failing, /CHECK constraint failed/);
    assert.equal(q.stats.flushes, flushes0 + 1);
    assert.deepEqual(rows(db), [], "the job's first write was kept");
    assert.equal(db.inTransaction, false);
    // The queue goes on: the next job commits.
    await q.run(() => db.run("INSERT INTO t (x) VALUES (2)"));
    assert.deepEqual(rows(db), [2]);
    // A job that is not synchronous fails as in Database.transaction, and writes nothing.
    await assert.rejects(
      q.run(() => Promise.resolve(db.run("INSERT INTO t (x) VALUES (3)"))),
      /must be synchronous/,
    );
    assert.deepEqual(rows(db), [2]);
  });
});

Deno.test("write queue: a failing job beside others in a batch leaves theirs committed", async () => {
  await withQueue(async (q, db) => {
    const [a, b, c] = await Promise.allSettled([
      q.run(() => db.run("INSERT INTO t (x) VALUES (1)")),
      q.run(() => {
        db.run("INSERT INTO t (x) VALUES (2)");
        db.run("INSERT INTO t (x) VALUES (500)");
      }),
      q.run(() => db.run("INSERT INTO t (x) VALUES (3)")),
    ]);
    assert.equal(a.status, "fulfilled");
    assert.equal(b.status, "rejected");
    assert.equal(c.status, "fulfilled");
    assert.deepEqual(rows(db), [1, 3]);
  });
});

Deno.test("write queue: a failing first job of a batch leaves nothing written; the jobs after it commit in the same batch", async () => {
  await withQueue(async (q, db) => {
    const flushes0 = q.stats.flushes;
    const [a, b, c, d] = await Promise.allSettled([
      q.run(() => {
        db.run("INSERT INTO t (x) VALUES (1)");
        db.run("INSERT INTO t (x) VALUES (500)");
      }),
      q.run(() => db.run("INSERT INTO t (x) VALUES (2)")),
      q.run(() => {
        db.run("INSERT INTO t (x) VALUES (3)");
        db.run("INSERT INTO t (x) VALUES (600)");
      }),
      q.run(() => db.run("INSERT INTO t (x) VALUES (4)")),
    ]);
    assert.equal(a.status, "rejected");
    assert.match(String((a as PromiseRejectedResult).reason), /CHECK constraint failed/);
    assert.equal(b.status, "fulfilled");
    assert.equal(c.status, "rejected");
    assert.equal(d.status, "fulfilled");
    assert.equal(q.stats.flushes, flushes0 + 1);
    assert.deepEqual(rows(db), [2, 4]);
    assert.equal(db.inTransaction, false);
  });
});

Deno.test("write queue: a job after the first that fills the database (SQLite rolls the whole transaction back) fails its whole batch and writes nothing of it", async () => {
  await withQueue(async (q, db) => {
    db.exec("CREATE TABLE big (b BLOB)");
    const pages = db.get<{ n: number }>("SELECT page_count AS n FROM pragma_page_count")!.n;
    // A database that cannot grow by more than a few pages: SQLITE_FULL, which rolls back the
    // whole transaction, not only the statement (and so every savepoint in it).
    db.exec(`PRAGMA max_page_count = ${pages + 4}`);
    const settled = await Promise.allSettled([
      q.run(() => db.run("INSERT INTO t (x) VALUES (1)")),
      q.run(() => {
        for (let i = 0; i < 20; i++) db.run("INSERT INTO big (b) VALUES (randomblob(4000))");
      }),
      q.run(() => db.run("INSERT INTO t (x) VALUES (3)")),
    ]);
    // What the first job wrote is gone with the transaction: none may succeed, and what commits
    // must be what was answered (before, the third job's savepoint began and committed a
    // transaction of its own, and the batch's COMMIT then failed: a write answered as failed).
    assert.deepEqual(rows(db), [], "a job answered as failed was committed");
    assert.equal(db.get<{ n: number }>("SELECT count(*) AS n FROM big")!.n, 0);
    assert.deepEqual(settled.map((s) => s.status), ["rejected", "rejected", "rejected"]);
    // Each is rejected with the error that failed the batch, not with a follow-on one.
    for (const s of settled) {
      assert.match(String((s as PromiseRejectedResult).reason), /database or disk is full/);
    }
    assert.equal(db.inTransaction, false);
    // The queue goes on.
    await q.run(() => db.run("INSERT INTO t (x) VALUES (4)"));
    assert.deepEqual(rows(db), [4]);
  });
});
