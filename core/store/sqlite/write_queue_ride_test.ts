/**
 * `WriteQueue.ride` (issue 16: usage counters written with the deliveries they count): a ridden
 * job starts no batch of its own while other writes start them, and is still written when none do.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Database } from "./database.ts";
import type { WriteQueue } from "./write_queue.ts";
import { withQueue as withTestQueue } from "./_write_queue_test_support.ts";

/** A queue over a new database with table t. */
function withQueue(fn: (q: WriteQueue, db: Database) => Promise<void>): Promise<void> {
  return withTestQueue("CREATE TABLE t (x INTEGER)", fn);
}

/** The next event-loop turn (a later batch than any job queued in this one). */
const nextTurn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

Deno.test("write queue: a ridden job starts no commit; it goes in the batch the next write starts", async () => {
  await withQueue(async (q, db) => {
    const flushes0 = q.stats.flushes;
    // Waits far longer than this test takes: only the next write can carry it.
    const ridden = q.ride(() => db.run("INSERT INTO t (x) VALUES (1)"), 60_000);
    await nextTurn();
    await nextTurn();
    assert.equal(q.stats.flushes, flushes0, "the ridden job started a commit of its own");
    await q.run(() => db.run("INSERT INTO t (x) VALUES (2)"));
    await ridden;
    assert.equal(q.stats.flushes, flushes0 + 1);
    assert.deepEqual(db.all<{ x: number }>("SELECT x FROM t ORDER BY x").map((r) => r.x), [1, 2]);
  });
});

Deno.test("write queue: a ridden job with no other write is committed after its wait, and by drain", async () => {
  await withQueue(async (q, db) => {
    await q.ride(() => db.run("INSERT INTO t (x) VALUES (1)"), 1);
    assert.equal(db.get<{ n: number }>("SELECT count(*) AS n FROM t")!.n, 1);
    const ridden = q.ride(() => db.run("INSERT INTO t (x) VALUES (2)"), 60_000);
    await q.drain();
    await ridden;
    assert.equal(db.get<{ n: number }>("SELECT count(*) AS n FROM t")!.n, 2);
  });
});
