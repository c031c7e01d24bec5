/**
 * What one JMAP request of each kind of bench/jmap/vs_cyrus.ts costs the server, in process
 * (`app.request`, no socket, so the HTTP engine is left out): CPU time per request (this process,
 * `process.cpuUsage`) and SQL statements run per request. Direction figures for profiling work,
 * steadier than latency on a busy machine.
 *
 * Kinds: `query+get` with the query cache valid (nothing changed since the last query), the same
 * right after an `Email/set` (the state moved: what most queries of the mixed load see),
 * `Email/changes` from the state before one `Email/set`, `Email/set` of one keyword (its CPU; the
 * commit's fsync wait is not CPU), and `Core/echo` (the floor: auth, parse, serialise).
 *
 * Usage: `deno run -A bench/jmap/cost.ts [--messages 20000] [--runs 300] [--data-dir DIR]`: the
 * data directory is filled as bench/jmap/tern_server.ts fills it (the same directory can be
 * given to both).
 *
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { join } from "node:path";
import { testConfig } from "../../core/config/test_config.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { createToken } from "../../core/jmap/tokens.ts";
import { createServer } from "../../protocols/server.ts";
import { createHttpApp } from "../../protocols/jmap/app.ts";
import { Database } from "../../core/store/sqlite/database.ts";
import { fmt } from "../peers/lib.ts";

const USING = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"];

let statements = 0;
/** With `--sql`: the statements of the last request of each kind are printed. */
let trace: string[] | null = null;
for (const method of ["run", "get", "all", "values", "exec"] as const) {
  const original = Database.prototype[method] as (...args: unknown[]) => unknown;
  (Database.prototype as unknown as Record<string, unknown>)[method] = function (
    this: Database,
    ...args: unknown[]
  ) {
    statements++;
    trace?.push(String(args[0]).replace(/\s+/g, " ").slice(0, 140));
    return original.apply(this, args);
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      messages: { type: "string", default: "20000" },
      runs: { type: "string", default: "300" },
      "data-dir": { type: "string" },
      sql: { type: "boolean", default: false },
    },
  });
  const runs = Number(values.runs);
  const dir = values["data-dir"] ?? await Deno.makeTempDir({ prefix: "tern-jmap-cost-" });
  const filled = await Deno.readTextFile(join(dir, "bench-filled")).then(Number, () => -1);
  if (filled !== Number(values.messages)) {
    // Fill through the server script (same data, same layout), then stop it.
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./tern_server.ts", import.meta.url).pathname,
        "--messages",
        values.messages,
        "--data-dir",
        dir,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "inherit",
    }).spawn();
    await child.status;
  }
  const config = testConfig(dir, {
    hostname: "bench.test",
    local_domains: ["example.org"],
    jmap: { max_concurrent_requests: 1000 },
  });
  const srv = await createServer(config, undefined, { logger: nullLogger });
  try {
    const store = srv.context.store;
    const account = (await store.getAccountByAddress("bench@example.org"))!;
    const inbox = (await store.getMailboxByRole(account.id, "inbox"))!;
    const { token } = await createToken(store, "bench@example.org", "bench");
    const app = createHttpApp(srv.context);
    const call = async (methodCalls: unknown[]) => {
      const res = await app.request(
        new Request("http://bench/jmap/api", {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ using: USING, methodCalls }),
        }),
      );
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      return (await res.json()).methodResponses as [string, Record<string, unknown>, string][];
    };
    const queryGet = [
      ["Email/query", {
        accountId: account.id,
        filter: { inMailbox: inbox.id },
        sort: [{ property: "receivedAt", isAscending: false }],
        limit: 50,
      }, "q"],
      ["Email/get", {
        accountId: account.id,
        "#ids": { resultOf: "q", name: "Email/query", path: "/ids" },
        properties: ["subject", "from", "receivedAt", "keywords", "preview"],
      }, "g"],
    ];
    const first = await call(queryGet);
    const ids = first[0]![1].ids as string[];
    let flip = 0;
    const set = () =>
      call([["Email/set", {
        accountId: account.id,
        update: { [ids[flip % ids.length]!]: { "keywords/$flagged": flip++ % 2 === 0 ? true : null } },
      }, "s"]]);
    const state = async () =>
      (await call([["Email/get", { accountId: account.id, ids: [] }, "s"]]))[0]![1].state;

    const rows: string[][] = [];
    const measure = async (
      kind: string,
      before: (() => Promise<unknown>) | null,
      fn: () => Promise<unknown>,
    ) => {
      for (let i = 0; i < 20; i++) { // warm-up
        if (before) await before();
        await fn();
      }
      let cpu = 0;
      let sql = 0;
      const t = performance.now();
      let wall = 0;
      for (let i = 0; i < runs; i++) {
        if (before) await before();
        const c0 = process.cpuUsage();
        const s0 = statements;
        const w0 = performance.now();
        await fn();
        wall += performance.now() - w0;
        const c = process.cpuUsage(c0);
        cpu += (c.user + c.system) / 1000;
        sql += statements - s0;
      }
      void t;
      if (values.sql) {
        if (before) await before();
        trace = [];
        await fn();
        console.log(`${kind}:\n  ${trace.join("\n  ")}`);
        trace = null;
      }
      rows.push([kind, fmt(cpu / runs), fmt(wall / runs), fmt(sql / runs)]);
    };
    await measure("Core/echo", null, () => call([["Core/echo", { a: 1 }, "e"]]));
    await measure("query+get (cached)", null, () => call(queryGet));
    await measure("query+get after set", set, () => call(queryGet));
    let since = "";
    await measure("Email/changes", async () => {
      since = await state() as string;
      await set();
    }, () => call([["Email/changes", { accountId: account.id, sinceState: since }, "c"]]));
    await measure("Email/set keyword", null, set);
    console.log(`${fmt(filled > 0 ? filled : Number(values.messages))} messages, ${runs} runs per kind`);
    console.log(
      ["kind", "CPU ms/req", "wall ms/req", "SQL/req"].map((h, i) => i ? h.padStart(12) : h.padEnd(22)).join(
        "",
      ),
    );
    for (const r of rows) console.log(r.map((c, i) => i ? c.padStart(12) : c.padEnd(22)).join(""));
  } finally {
    await srv.stop({ graceSeconds: 0 });
    if (values["data-dir"] === undefined) await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  await main();
  Deno.exit(0);
}
