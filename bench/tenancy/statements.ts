/**
 * Issue 16: SQL statements per delivered message with tenancy off, on (usage counted) and plan
 * (every limit checked), counted on the real server (SQLite store, in this process) while N
 * sessions deliver M messages each over SMTP. A deterministic figure (no timing), except the
 * SQLite organizations' `data_version` read, which the decisions of all sessions share at most
 * once per millisecond: it shows what each mode adds to a delivery's store work, statement by
 * statement.
 *
 * Usage: `deno run -A bench/tenancy/statements.ts [--sessions 10] [--messages 20] [--verbose]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { testConfig } from "../../core/config/test_config.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { createServer } from "../../protocols/server.ts";
import { applyTenancyMode, TENANCY_MODES as MODES } from "./modes.ts";
import { Database } from "../../core/store/sqlite/database.ts";
import { session } from "../_smtp_session.ts";

const ACCOUNTS = 20;

/** Statements run, by SQL text, while `counting` is on. */
const counts = new Map<string, number>();
let counting = false;
const proto = Database.prototype as unknown as Record<string, (this: Database, ...a: unknown[]) => unknown>;
for (const name of ["statement", "values", "exec"] as const) {
  const original = proto[name]!;
  proto[name] = function (this: Database, ...args: unknown[]) {
    if (counting) {
      const sql = String(args[0]).replace(/\s+/g, " ").slice(0, 140);
      counts.set(sql, (counts.get(sql) ?? 0) + 1);
    }
    return original.apply(this, args);
  };
}

/** What one mode's deliveries ran: statements by SQL text, and group commits. */
interface Counted {
  statements: Map<string, number>;
  commits: number;
  /** Write jobs run in those commits. */
  jobs: number;
}

/** The store's group-commit and write-job counters (SQLite). */
const commitsOf = (store: unknown): number =>
  (store as { writeStats?: { flushes: number } }).writeStats?.flushes ?? NaN;
const jobsOf = (store: unknown): number =>
  (store as { writeStats?: { jobs: number } }).writeStats?.jobs ?? NaN;

async function run(mode: string, sessions: number, messages: number): Promise<Counted> {
  const dir = await Deno.makeTempDir({ prefix: "tern-bench-statements-" });
  const srv = await createServer(
    testConfig(dir, {
      hostname: "bench.test",
      local_domains: ["example.org"],
      smtp: { rate_limit_per_minute: 0, max_connections_per_ip: 0 },
      policy: { max_connections_per_ip: 0, connections_per_minute_per_ip: 0 },
    }),
    undefined,
    { logger: nullLogger },
  );
  try {
    for (let i = 0; i < ACCOUNTS; i++) {
      await srv.context.store.createAccount({
        address: `user${i}@example.org`,
        secrets: { passwordHash: "scrypt$16384$8$1$AAAA$AAAA" },
      });
    }
    // The same three servers as bench/smtp/mod.ts --tenancy.
    await applyTenancyMode(srv, mode);
    await srv.start();
    const payload = new TextEncoder().encode(
      `From: bench@remote.test\r\nTo: user@example.org\r\nSubject: bench\r\n\r\n${"x".repeat(4000)}\r\n.\r\n`,
    );
    // One warm-up message per session (caches, prepared statements), not counted.
    const port = srv.addresses.smtp.port;
    await Promise.all(Array.from({ length: sessions }, (_, i) => session(port, [payload], i, ACCOUNTS)));
    counts.clear();
    const commits0 = commitsOf(srv.context.store);
    const jobs0 = jobsOf(srv.context.store);
    counting = true;
    await Promise.all(
      Array.from({ length: sessions }, (_, i) => session(port, Array(messages).fill(payload), i, ACCOUNTS)),
    );
    counting = false;
    return {
      statements: new Map(counts),
      commits: commitsOf(srv.context.store) - commits0,
      jobs: jobsOf(srv.context.store) - jobs0,
    };
  } finally {
    counting = false;
    await srv.stop({ graceSeconds: 0 });
    await Deno.remove(dir, { recursive: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      sessions: { type: "string", default: "10" },
      messages: { type: "string", default: "20" },
      verbose: { type: "boolean", default: false },
    },
  });
  const total = Number(values.sessions) * Number(values.messages);
  const byMode = new Map<string, Counted>();
  for (const mode of MODES) {
    byMode.set(mode, await run(mode, Number(values.sessions), Number(values.messages)));
  }
  const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  console.log("| tenancy | statements/msg | vs off | group commits/msg | write jobs/msg |");
  console.log("| ------- | -------------- | ------ | ----------------- | -------------- |");
  const off = sum(byMode.get("off")!.statements) / total;
  for (const mode of MODES) {
    const { statements, commits, jobs } = byMode.get(mode)!;
    const n = sum(statements) / total;
    console.log(
      `| ${mode} | ${n.toFixed(2)} | ${(n - off >= 0 ? "+" : "") + (n - off).toFixed(2)} | ${
        (commits / total).toFixed(3)
      } | ${(jobs / total).toFixed(3)} |`,
    );
  }
  if (values.verbose) {
    for (const mode of MODES) {
      console.log(`\n-- ${mode}: statements per message`);
      const rows = [...byMode.get(mode)!.statements].sort((a, b) => b[1] - a[1]);
      for (const [sql, n] of rows) console.log(`${(n / total).toFixed(3).padStart(8)}  ${sql}`);
    }
  }
}

if (import.meta.main) await main();
