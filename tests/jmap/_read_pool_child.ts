/**
 * Child process of read_pool_lifecycle_test.ts: a JMAP read pool over a SQLite store in the data
 * dir given as the first argument, run with read access to that directory alone, so that its
 * worker's module cannot load (the worker fails before it is ready). It asks for one request and,
 * once the first worker failure is logged (or the worker is ready), prints what the pool did as one JSON line:
 * `{ answer, size, replaced, errors }`.
 */
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { defaultConfig } from "../../core/config/defaults.ts";
import type { ServerContext } from "../../core/context.ts";
import { noAuth } from "./_read_pool_support.ts";
import { type Logger, nullLogger } from "../../core/log/logger.ts";
import { systemClock } from "../../core/clock.ts";
import { JmapReadPool } from "../../protocols/jmap/read_pool.ts";

const dir = Deno.args[0]!;
const store = await SqliteStore.open({ dataDir: dir });
await store.addDomain("example.org");
const alice = await store.createAccount({ address: "alice@example.org", secrets: { passwordHash: "x" } });
const config = defaultConfig();
config.jmap.read_workers = 1;
const errors: string[] = [];
const failed = Promise.withResolvers<void>();
const log: Logger = {
  ...nullLogger,
  error: (message) => {
    errors.push(message);
    failed.resolve();
  },
  with: () => log,
};
const server: ServerContext = { config, store, auth: noAuth, log, clock: systemClock };
const pool = JmapReadPool.forServer(server)!;
let answer: string;
try {
  // Starts the workers; none is ready yet, so this request runs on the main thread (null).
  answer = JSON.stringify(
    await pool.run(
      { using: ["urn:ietf:params:jmap:core"], methodCalls: [["Core/echo", {}, "0"]] },
      alice,
      { sessionId: "s", remoteAddress: "127.0.0.1" },
      nullLogger,
    ),
  );
} catch (err) {
  answer = `threw: ${(err as Error).message}`;
}
// The worker's failure is logged (or, should its module load after all, it gets ready: then the
// report says so instead of this process waiting for ever).
await Promise.race([failed.promise, pool.ready()]);
console.log(JSON.stringify({ answer, size: pool.size, replaced: pool.stats.replaced, errors }));
await pool.close();
await store.close();
