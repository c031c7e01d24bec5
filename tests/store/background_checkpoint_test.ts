/**
 * WAL checkpoints in a worker (core/store/sqlite/checkpointer.ts): once the WAL reaches its
 * limit the main connection stops checkpointing in its COMMITs, the worker's checkpoints keep the
 * WAL from growing (the next writer starts it over), every committed row is in the database after
 * a restart, and a small database never starts a worker.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { Checkpointer } from "../../core/store/sqlite/checkpointer.ts";
import { BURST_WAL_SIZE_LIMIT, Database, WAL_SIZE_LIMIT } from "../../core/store/sqlite/database.ts";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";

const ROW = 8 * 1024;

function openDb(dir: string): Database {
  const db = Database.open(`${dir}/t.db`);
  db.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, data BLOB NOT NULL)");
  return db;
}

/** Frames in the WAL now, read by a separate connection (which never checkpoints anything). */
function walFrames(dir: string): number {
  const other = new DatabaseSync(`${dir}/t.db`);
  try {
    other.exec("PRAGMA wal_autocheckpoint = 0");
    // NOOP-like: a PASSIVE checkpoint on a connection that just reports (log = frames in the WAL).
    const r = other.prepare("PRAGMA wal_checkpoint(PASSIVE)").get() as { log: number };
    return Number(r.log);
  } finally {
    other.close();
  }
}

Deno.test("background checkpoint: past the WAL limit the worker checkpoints and the main connection does not", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-ckpt-" });
  try {
    const db = openDb(dir);
    db.checkpointInBackground((err) => {
      throw err;
    });
    const ckpt = db.checkpointer!;
    let n = 0;
    // Commits of 8 KB rows until the WAL file holds the limit: the worker then takes over.
    while (!ckpt.active) {
      db.transaction(() => db.run("INSERT INTO t (data) VALUES (?)", new Uint8Array(ROW).fill(n++ % 251)));
      assert.ok(n < 10_000, "the worker never started");
    }
    assert.ok(Deno.statSync(`${dir}/t.db-wal`).size > WAL_SIZE_LIMIT);
    assert.equal(db.get<{ wal_autocheckpoint: number }>("PRAGMA wal_autocheckpoint")?.wal_autocheckpoint, 0);
    // Another 4 MiB of commits: with the main connection's checkpoints off, only the worker's
    // keep the WAL from holding all of them.
    for (let i = 0; i < (4 * WAL_SIZE_LIMIT) / ROW; i++) {
      db.transaction(() => db.run("INSERT INTO t (data) VALUES (?)", new Uint8Array(ROW).fill(n++ % 251)));
      // Let the worker's replies in between commits, as a server's event loop does.
      if (i % 16 === 0) await ckpt.idle();
    }
    await ckpt.checkpointNow();
    assert.ok(ckpt.checkpoints >= 1, `checkpoints: ${ckpt.checkpoints}`);
    // Everything is in the database now: the next commit starts the WAL over.
    db.transaction(() => db.run("INSERT INTO t (data) VALUES (?)", new Uint8Array(10)));
    n++;
    assert.ok(walFrames(dir) < 16, `WAL frames after the worker's checkpoint: ${walFrames(dir)}`);
    await db.stopBackgroundCheckpoints();
    assert.equal(
      db.get<{ wal_autocheckpoint: number }>("PRAGMA wal_autocheckpoint")?.wal_autocheckpoint,
      256,
    );
    db.close();
    const again = openDb(dir);
    assert.equal(again.get<{ c: number }>("SELECT count(*) AS c FROM t")?.c, n);
    again.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("background checkpoint: once the worker has caught up after a burst, the grown WAL file is cut back", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-ckpt-" });
  try {
    const db = openDb(dir);
    db.checkpointInBackground((err) => {
      throw err;
    });
    const ckpt = db.checkpointer!;
    let n = 0;
    while (!ckpt.active) {
      db.transaction(() => db.run("INSERT INTO t (data) VALUES (?)", new Uint8Array(ROW).fill(n++ % 251)));
    }
    // A burst of 6 MiB in commits that never yield to the event loop: the WAL file grows.
    for (let i = 0; i < (6 * WAL_SIZE_LIMIT) / ROW; i++) {
      db.transaction(() => db.run("INSERT INTO t (data) VALUES (?)", new Uint8Array(ROW).fill(n++ % 251)));
    }
    assert.ok(Deno.statSync(`${dir}/t.db-wal`).size > 4 * WAL_SIZE_LIMIT);
    await ckpt.checkpointNow();
    assert.ok(
      Deno.statSync(`${dir}/t.db-wal`).size <= 2 * WAL_SIZE_LIMIT,
      `WAL file ${Deno.statSync(`${dir}/t.db-wal`).size} bytes after the worker caught up`,
    );
    await db.stopBackgroundCheckpoints();
    db.close();
    const again = openDb(dir);
    assert.equal(again.get<{ c: number }>("SELECT count(*) AS c FROM t")?.c, n);
    again.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("background checkpoint: a database whose WAL stays under the limit starts no worker", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-ckpt-" });
  try {
    const store = await SqliteStore.open({ dataDir: dir });
    await store.addDomain("example.org");
    await store.createAccount({ address: "a@example.org", secrets: { passwordHash: "x" } });
    assert.equal(store.database.checkpointer?.active, false);
    await store.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("background checkpoint: a worker that cannot open the database hands the checkpoints back to the connection", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-ckpt-" });
  try {
    // A directory where the database file should be: the worker's connection cannot open it.
    await Deno.mkdir(`${dir}/x.db`);
    await Deno.writeFile(`${dir}/x.db-wal`, new Uint8Array(2 * WAL_SIZE_LIMIT));
    const switches: boolean[] = [];
    const failed = Promise.withResolvers<unknown>();
    const ckpt = new Checkpointer({
      path: `${dir}/x.db`,
      limitBytes: WAL_SIZE_LIMIT,
      busyTimeoutMs: 100,
      setAutoCheckpoint: (on) => switches.push(on),
      onError: (err) => failed.resolve(err),
    });
    ckpt.afterCommit();
    assert.ok(String(await failed.promise).includes("checkpoint"));
    // Off when the worker took over, back on when it failed.
    assert.deepEqual(switches, [false, true]);
    assert.equal(ckpt.active, false);
    await ckpt.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A database whose commits are followed by `ckpt` (not the connection's own checkpointer). */
function withWatchedDb(
  dir: string,
  quietMs: number,
): { db: Database; ckpt: Checkpointer; commit(bytes: number): void; walSize(): number } {
  const db = openDb(dir);
  const ckpt = new Checkpointer({
    path: `${dir}/t.db`,
    limitBytes: WAL_SIZE_LIMIT,
    busyTimeoutMs: 5000,
    setAutoCheckpoint: (on) => db.exec(`PRAGMA wal_autocheckpoint = ${on ? 256 : 0}`),
    onError: (err) => {
      throw err;
    },
    quietMs,
  });
  let n = 0;
  return {
    db,
    ckpt,
    commit(bytes) {
      db.transaction(() => db.run("INSERT INTO t (data) VALUES (?)", new Uint8Array(bytes).fill(n++ % 251)));
      ckpt.afterCommit();
    },
    walSize: () => Deno.statSync(`${dir}/t.db-wal`).size,
  };
}

Deno.test("background checkpoint: while commits keep coming the worker never truncates the WAL file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-ckpt-" });
  // Quiet only after an hour: no truncation may come from the quiet watch in this test.
  const { db, ckpt, commit, walSize } = withWatchedDb(dir, 3_600_000);
  try {
    while (!ckpt.active) commit(ROW);
    // Bursts of 3 MiB (past the 2 MiB the worker truncates above once caught up), each followed by
    // the worker's checkpoint catching up: the file keeps its size, the next writer reuses it.
    for (let burst = 0; burst < 4; burst++) {
      for (let i = 0; i < (3 * WAL_SIZE_LIMIT) / ROW; i++) commit(ROW);
      await ckpt.idle();
      assert.ok(walSize() >= 2 * WAL_SIZE_LIMIT, `burst ${burst}: WAL file ${walSize()} bytes`);
    }
    assert.ok(ckpt.checkpoints >= 4);
  } finally {
    await ckpt.close();
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("background checkpoint: once the writer has gone quiet, the grown WAL file is cut back", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-ckpt-" });
  const { db, ckpt, commit, walSize } = withWatchedDb(dir, 20);
  try {
    while (!ckpt.active) commit(ROW);
    for (let i = 0; i < (3 * WAL_SIZE_LIMIT) / ROW; i++) commit(ROW);
    await ckpt.idle();
    assert.ok(walSize() > 2 * WAL_SIZE_LIMIT, `WAL file ${walSize()} bytes after the burst`);
    // No commit since: the quiet watch asks for one more checkpoint, which truncates.
    while (walSize() > 2 * WAL_SIZE_LIMIT) await ckpt.nextCheckpoint();
    assert.equal(walSize(), 0);
  } finally {
    await ckpt.close();
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("background checkpoint: while the worker checkpoints, a WAL restart keeps the file instead of cutting it back", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-ckpt-" });
  try {
    const db = openDb(dir);
    db.checkpointInBackground((err) => {
      throw err;
    });
    const ckpt = db.checkpointer!;
    let n = 0;
    const commit = (bytes: number) =>
      db.transaction(() => db.run("INSERT INTO t (data) VALUES (?)", new Uint8Array(bytes).fill(n++ % 251)));
    while (!ckpt.active) commit(ROW);
    const limit = () =>
      db.get<{ journal_size_limit: number }>("PRAGMA journal_size_limit")?.journal_size_limit;
    assert.equal(limit(), BURST_WAL_SIZE_LIMIT);
    // 3 MiB in commits, then the worker's checkpoints catch up: the next commit restarts the WAL.
    for (let i = 0; i < (3 * WAL_SIZE_LIMIT) / ROW; i++) commit(ROW);
    await ckpt.idle();
    commit(10);
    assert.ok(walFrames(dir) < 16, `WAL frames after the restart: ${walFrames(dir)}`);
    // Not cut back to 1 MiB by the restart (the worker truncates once the writer is quiet).
    assert.ok(
      Deno.statSync(`${dir}/t.db-wal`).size > 2 * WAL_SIZE_LIMIT,
      `WAL file ${Deno.statSync(`${dir}/t.db-wal`).size}`,
    );
    await db.stopBackgroundCheckpoints();
    assert.equal(limit(), WAL_SIZE_LIMIT);
    db.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
