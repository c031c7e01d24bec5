/**
 * The Tern side of bench/jmap/vs_cyrus.ts, in its own process (as Cyrus runs in its own), so the
 * load generator's fetch and JSON work does not share Tern's JS thread, and so the server can run
 * under `--cpu-prof`. Fills one account of N messages through the store (or reuses a data
 * directory filled before), waits for the search index to catch up, starts the server, prints
 * one JSON line `{"apiUrl", "authorization", "accountId", "pid"}` on stdout, then serves until
 * stdin closes; on stopping it prints how the write batches formed while it served.
 *
 * Usage: `deno run -A bench/jmap/tern_server.ts --messages 100000 [--data-dir DIR] [--read-workers N]`;
 * with `--data-dir` the directory is kept, and a second run with the same count skips the fill;
 * `--read-workers` sets `[jmap] read_workers` (protocols/jmap/read_pool.ts; 0 = off); `--lag`
 * samples the event loop's lag while serving and prints it on stopping (bench/jmap/lag.ts);
 * `--promoted-prof FILE` writes a sampling heap profile of what outlived young-generation
 * collections while serving (promoted to old space: what feeds the mark-compact pauses).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { testConfig } from "../../core/config/test_config.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { createToken } from "../../core/jmap/tokens.ts";
import { createServer } from "../../protocols/server.ts";
import type { NewMessage } from "../../core/store/types.ts";
import { benchMessage } from "../peers/lib.ts";
import { formatLag, startLagSampler } from "./lag.ts";

/** Size of each bench message (the same as the Cyrus side's). */
export const MESSAGE_SIZE = 2048;
const ADDRESS = "bench@example.org";

/**
 * CPU seconds of this process's main thread and of all its threads (Linux `/proc/self/task`), or
 * null elsewhere: with read workers (protocols/jmap/read_pool.ts) the main thread's share is what
 * bounds throughput.
 */
function threadCpu(): { main: number; all: number } | null {
  try {
    const ticks = 100; // USER_HZ
    let main = 0;
    let all = 0;
    for (const task of Deno.readDirSync("/proc/self/task")) {
      const stat = Deno.readTextFileSync(`/proc/self/task/${task.name}/stat`);
      // Fields after the ")" that ends the command name: state is field 3, utime 14, stime 15.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const seconds = (Number(fields[11]) + Number(fields[12])) / ticks;
      all += seconds;
      if (Number(task.name) === Deno.pid) main = seconds;
    }
    return { main, all };
  } catch {
    return null;
  }
}

/**
 * Starts V8's sampling heap profiler (through node:inspector) keeping only allocations that no
 * young-generation collection freed; the returned function stops it and gives the profile.
 */
async function startPromotedProfile(): Promise<() => Promise<unknown>> {
  const { Session } = await import("node:inspector");
  const session = new Session();
  session.connect();
  const post = (method: string, params: object) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(
        method,
        params,
        (err: Error | null, result: unknown) => err ? reject(err) : resolve(result),
      )
    );
  await post("HeapProfiler.enable", {});
  await post("HeapProfiler.startSampling", {
    samplingInterval: 16384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: false,
  });
  return async () => {
    const { profile } = await post("HeapProfiler.stopSampling", {}) as { profile: unknown };
    session.disconnect();
    return profile;
  };
}

/** Fills (unless filled before), serves, and stops when stdin closes. */
export async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      messages: { type: "string", default: "100000" },
      "data-dir": { type: "string" },
      "read-workers": { type: "string" },
      lag: { type: "boolean", default: false },
      "promoted-prof": { type: "string" },
    },
  });
  const messages = Number(values.messages);
  const keep = values["data-dir"] !== undefined;
  const dir = values["data-dir"] ?? await Deno.makeTempDir({ prefix: "tern-bench-vs-cyrus-" });
  await Deno.mkdir(dir, { recursive: true });
  const marker = join(dir, "bench-filled");
  const filled = await Deno.readTextFile(marker).then(Number, () => -1);
  const config = testConfig(dir, {
    hostname: "bench.test",
    local_domains: ["example.org"],
    policy: { max_connections_per_ip: 0, connections_per_minute_per_ip: 0 },
    jmap: {
      max_concurrent_requests: 1000,
      ...(values["read-workers"] !== undefined ? { read_workers: Number(values["read-workers"]) } : {}),
    },
  });
  const srv = await createServer(config, undefined, { logger: nullLogger });
  const store = srv.context.store;
  let account = await store.getAccountByAddress(ADDRESS);
  const t = performance.now();
  if (filled !== messages || account === null) {
    if (account !== null) throw new Error(`${dir} holds another fill (${filled}); use a fresh --data-dir`);
    account = await store.createAccount({
      address: ADDRESS,
      secrets: await srv.context.auth.deriveSecrets("bench-pw"),
    });
    const inbox = (await store.getMailboxByRole(account.id, "inbox"))!;
    const start = Date.UTC(2020, 0, 1);
    for (let i = 0; i < messages; i += 1000) {
      const js = Array.from({ length: Math.min(messages, i + 1000) - i }, (_, k) => i + k);
      // Concurrent puts share one write-queue commit (one fsync per 1,000 blobs, not per blob).
      const blobs = await Promise.all(
        js.map((j) => store.blobs.put(benchMessage(MESSAGE_SIZE, "vs-cyrus", j, ADDRESS))),
      );
      const batch: NewMessage[] = js.map((j, k) => ({
        accountId: account!.id,
        mailboxIds: [inbox.id],
        blobId: blobs[k]!.blobId,
        receivedAt: new Date(start + j * 60_000),
        keywords: j % 3 ? ["$seen"] : [],
      }));
      await store.addMessages(batch);
    }
    await Deno.writeTextFile(marker, String(messages));
    console.error(`tern: ${messages} messages filled in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  // The search index catches up in the background after a fill (or a reopen with a backlog): the
  // load is measured after it, not beside it.
  const indexed = (store as { searchIndexIdle?: () => Promise<void> }).searchIndexIdle;
  if (indexed) {
    const t0 = performance.now();
    await indexed.call(store);
    const s = (performance.now() - t0) / 1000;
    if (s > 1) console.error(`tern: search index caught up in ${s.toFixed(1)} s`);
  }
  await srv.start();
  await srv.jmapReadPool?.ready();
  console.error(`tern: ${srv.jmapReadPool?.size ?? 0} JMAP read workers`);
  const { token } = await createToken(store, ADDRESS, "bench");
  console.log(JSON.stringify({
    apiUrl: `http://127.0.0.1:${srv.addresses.http.port}/jmap/api`,
    authorization: `Bearer ${token}`,
    accountId: account.id,
    pid: Deno.pid,
  }));
  // Write batches while serving (group commit: jobs per commit, time from start to durable).
  const writes = () =>
    (store as { writeStats?: { flushes: number; jobs: number; commitMs: number } }).writeStats ??
      { flushes: 0, jobs: 0, commitMs: 0 };
  const w0 = writes();
  const cpu0 = threadCpu();
  // --lag: event-loop lag while serving (bench/jmap/lag.ts); the start is printed in ms since the
  // process began, to line the stalls up with --trace-gc's times.
  const lag = values.lag ? startLagSampler() : undefined;
  const served0 = performance.now();
  if (lag) console.error(`tern: lag sampler started at ${lag.startedAt.toFixed(0)} ms`);
  const promoted = values["promoted-prof"] ? await startPromotedProfile() : undefined;
  // Serve until the parent closes our stdin.
  for await (const _ of Deno.stdin.readable) { /* nothing is sent */ }
  const w1 = writes();
  const cpu1 = threadCpu();
  if (lag) console.error(formatLag("tern", lag.stop(), (performance.now() - served0) / 1000));
  if (promoted) await Deno.writeTextFile(values["promoted-prof"]!, JSON.stringify(await promoted()));
  if (cpu0 && cpu1) {
    console.error(
      `tern: CPU while serving: main thread ${(cpu1.main - cpu0.main).toFixed(2)} s, all threads ${
        (cpu1.all - cpu0.all).toFixed(2)
      } s`,
    );
  }
  const flushes = w1.flushes - w0.flushes;
  console.error(
    `tern: ${flushes} commits while serving, ${((w1.jobs - w0.jobs) / Math.max(1, flushes)).toFixed(1)} ` +
      `write jobs each, ${
        ((w1.commitMs - w0.commitMs) / Math.max(1, flushes)).toFixed(1)
      } ms each to durable`,
  );
  const pool = srv.jmapReadPool?.stats;
  if (pool) {
    console.error(
      `tern: read workers answered ${pool.served} requests (${pool.fallbacks} handed back, ${pool.replaced} replaced)`,
    );
  }
  await srv.stop({ graceSeconds: 0 });
  if (!keep) await Deno.remove(dir, { recursive: true }).catch(() => {});
}

if (import.meta.main) {
  await main();
  Deno.exit(0);
}
