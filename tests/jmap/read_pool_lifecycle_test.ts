/**
 * The JMAP read pool's lifecycle (protocols/jmap/read_pool.ts) around worker failures: a worker
 * that fails while the pool is closing does not hold the close up forever, and a worker that fails
 * before it is ready is not started again and again. The pool runs over a real SQLite store in a
 * temporary data dir, with real worker threads.
 */
import assert from "node:assert/strict";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { defaultConfig } from "../../core/config/defaults.ts";
import type { ServerContext } from "../../core/context.ts";
import { noAuth } from "./_read_pool_support.ts";
import { type Logger, nullLogger } from "../../core/log/logger.ts";
import { systemClock } from "../../core/clock.ts";
import { JmapReadPool } from "../../protocols/jmap/read_pool.ts";

const ignore = Deno.env.get("TERN_TEST_STORE") === "postgres";

/** A logger that records the messages of its error records. */
function recordingLogger(errors: string[]): Logger {
  const log: Logger = {
    ...nullLogger,
    error: (message) => void errors.push(message),
    with: () => log,
  };
  return log;
}

Deno.test({
  name: "jmap read pool: close ends when a worker fails while its request is in flight",
  ignore,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-read-pool-" });
  const store = await SqliteStore.open({ dataDir: dir });
  try {
    await store.addDomain("example.org");
    const alice = await store.createAccount({ address: "alice@example.org", secrets: { passwordHash: "x" } });
    const config = defaultConfig();
    config.jmap.read_workers = 1;
    const errors: string[] = [];
    const server: ServerContext = {
      config,
      store,
      auth: noAuth,
      log: recordingLogger(errors),
      clock: systemClock,
    };
    const pool = JmapReadPool.forServer(server)!;
    assert.ok(pool, "a pool over the SQLite store");
    await pool.ready();
    assert.equal(pool.size, 1);
    // The worker takes this request, then fails instead of answering; meanwhile the pool closes.
    pool.crashNextRequestForTest();
    const answer = pool.run(
      { using: ["urn:ietf:params:jmap:core"], methodCalls: [["Core/echo", { hello: true }, "0"]] },
      alice,
      { sessionId: "s", remoteAddress: "127.0.0.1" },
      nullLogger,
    );
    await pool.close();
    // The request is handed back to the main thread (null), and no worker is left.
    assert.equal(await answer, null);
    assert.equal(pool.size, 0);
    assert.deepEqual(errors, ["JMAP read worker failed"]);
    assert.equal(pool.stats.replaced, 0, "no worker is started while the pool closes");
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "jmap read pool: a worker that cannot load is not started again, and requests run on the main thread",
  ignore,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-read-pool-" });
  try {
    // Read access to the data dir alone: the worker's module (in the repository) cannot load.
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        `--allow-read=${dir}`,
        `--allow-write=${dir}`,
        "--allow-env",
        new URL("./_read_pool_child.ts", import.meta.url).pathname,
        dir,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    const report = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
    assert.deepEqual(report, {
      answer: "null",
      size: 0,
      replaced: 0,
      errors: ["JMAP read worker failed"],
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
