/**
 * Issue 20: local delivery throughput with a typical 30-rule Sieve script against none. Each round
 * starts a server in this process (SQLite store in a temp dir, the server's delivery pipeline),
 * delivers M messages of S bytes to 20 accounts through the pipeline with C deliveries in flight,
 * and reports messages/s and the process's CPU time per message; rounds alternate `none` and
 * `rules` (A B A B …) and the medians and the ratios are printed as a Markdown row (target: within
 * 10%). It also reports the interpreter alone and the Sieve stage alone (CPU µs per run / per
 * delivery, with and without the script: what the stage adds apart from the I/O of storing). The
 * msgs/s ratio needs a quiet machine; the CPU-per-message ratio holds up better on a busy one.
 * `--only none|rules` runs one kind of round (for `--cpu-prof`); `--only stage` prints the CPU
 * figures of the interpreter and the stage alone. Every account has the same script text (the
 * server then compiles it once, core/sieve/cache.ts); `--scripts distinct` gives each account its
 * own text (the 30 rules and a comment naming the account): one compiled copy per account, each
 * cold in the CPU caches when its account's next message comes, as with users' own filters.
 *
 * Usage: `deno run -A bench/sieve/mod.ts [--rounds 5] [--messages 4000] [--size 4096] [--concurrency 20]
 * [--scripts same|distinct]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import process from "node:process";
import { testConfig } from "../../core/config/test_config.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { createServer } from "../../protocols/server.ts";
import { deliveryPipeline } from "../../core/inbound/server_pipeline.ts";
import { memorySource } from "../../core/delivery/spool.ts";
import { compileSieve } from "../../core/sieve/validate.ts";
import { runSieve } from "../../core/sieve/interpreter.ts";
import { sieveFilter } from "../../core/delivery/sieve_stage.ts";

const ACCOUNTS = 20;
const enc = new TextEncoder();

/** A typical personal filter: lists, senders, flags, spam, size, a vacation-free 30 rules. */
export const RULES_30 = `require ["fileinto", "imap4flags", "envelope", "mailbox", "relational",
  "comparator-i;ascii-numeric", "variables", "body", "copy"];
if header :contains "list-id" "announce.example.org" { fileinto :create "Lists/announce"; stop; }
if header :contains "list-id" "dev.example.org" { fileinto :create "Lists/dev"; stop; }
if header :contains "list-id" "users.example.org" { fileinto :create "Lists/users"; stop; }
if header :matches "list-id" "*<*.lists.example.net>*" { fileinto :create "Lists/\${2}"; stop; }
if address :domain :is "from" "bank.example" { addflag "\\\\Flagged"; fileinto :create "Finance"; stop; }
if address :is "from" ["boss@example.org", "cto@example.org"] { addflag "\\\\Flagged"; }
if address :localpart :is "from" ["noreply", "no-reply", "notifications"] { fileinto :create "Notifications"; stop; }
if header :contains "subject" ["[JIRA]", "[Jira]"] { fileinto :create "Work/jira"; stop; }
if header :contains "subject" "[GitHub]" { fileinto :create "Work/github"; stop; }
if header :contains "x-github-reason" "review_requested" { addflag "\\\\Flagged"; }
if header :is "x-mailer" "Bulk Mailer 3" { fileinto :create "Junk"; stop; }
if header :contains "x-spam-flag" "YES" { fileinto :create "Junk"; stop; }
if header :value "ge" :comparator "i;ascii-numeric" "x-spam-score" "7" { fileinto :create "Junk"; stop; }
if exists "x-newsletter-id" { fileinto :create "Newsletters"; stop; }
if header :contains "precedence" ["bulk", "junk"] { fileinto :create "Bulk"; stop; }
if envelope :domain :is "from" "calendar.example.com" { fileinto :create "Calendar"; stop; }
if header :contains "content-type" "text/calendar" { addflag "\\\\Answered"; }
if size :over 10M { fileinto :create "Large"; stop; }
if header :contains "subject" ["invoice", "receipt"] { fileinto :copy :create "Receipts"; }
if address :domain :is "to" "family.example" { fileinto :create "Family"; stop; }
if header :contains "from" "school.example.edu" { fileinto :create "Family/school"; stop; }
if header :matches "subject" "Re: *" { addflag "reply"; }
if allof (header :contains "from" "alerts@", header :contains "subject" "CRITICAL") { addflag "\\\\Flagged"; }
if anyof (header :contains "subject" "unsubscribe", header :contains "list-unsubscribe" "mailto:") { addflag "listish"; }
if header :contains "x-priority" "1" { addflag "\\\\Flagged"; }
if address :is "to" "old-address@example.org" { fileinto :create "Old"; stop; }
if header :contains "subject" "webinar" { fileinto :create "Marketing"; stop; }
if header :contains "subject" "password reset" { addflag "security"; }
if string :is "\${1}" "never" { discard; stop; }
if body :contains "lottery winner" { fileinto :create "Junk"; stop; }
`;

function message(i: number, size: number): Uint8Array {
  const head = `From: Sender ${i} <sender${i}@remote.example>\r\nTo: user${i % ACCOUNTS}@example.org\r\n` +
    `Subject: message ${i} about the quarterly plan\r\nMessage-ID: <${i}.${Date.now()}@remote.example>\r\n` +
    `Date: Sun, 6 Dec 2026 12:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n`;
  const line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\r\n";
  return enc.encode(head + line.repeat(Math.max(1, Math.ceil((size - head.length) / line.length))));
}

/** One round's figures: wall-clock throughput, and process CPU time per message (all threads). */
interface Round {
  rate: number;
  cpuUs: number;
}

async function round(
  withScript: boolean,
  messages: number,
  size: number,
  concurrency: number,
  distinct = false,
): Promise<Round> {
  const dir = await Deno.makeTempDir({ prefix: "tern-bench-sieve-" });
  const srv = await createServer(
    testConfig(dir, { hostname: "bench.test", local_domains: ["example.org"] }),
    undefined,
    {
      logger: nullLogger,
    },
  );
  try {
    const store = srv.context.store;
    for (let i = 0; i < ACCOUNTS; i++) {
      const a = await store.createAccount({
        address: `user${i}@example.org`,
        secrets: { passwordHash: "scrypt$16384$8$1$AAAA$AAAA" },
      });
      if (withScript) {
        await store.sieveScripts.put(a.id, "rules", RULES_30 + (distinct ? `# account ${i}\n` : ""));
        await store.sieveScripts.setActive(a.id, "rules");
      }
    }
    const pipeline = deliveryPipeline(srv.context);
    const bodies = Array.from({ length: 64 }, (_, i) => message(i, size));
    let next = 0;
    const cpu0 = process.cpuUsage();
    const started = performance.now();
    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= messages) return;
        const tx = pipeline.begin(
          { from: `sender${i}@remote.example`, smtputf8: false, body: "8BITMIME" },
          { kind: "internal", sessionId: "bench" },
          { mayRelay: false },
        );
        await tx.addRecipient({ address: `user${i % ACCOUNTS}@example.org` });
        const r = await tx.deliver(memorySource(bodies[i % bodies.length]!));
        if (r.recipients[0]!.status !== "delivered") throw new Error("delivery failed");
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { rate: messages / seconds, cpuUs: (cpu.user + cpu.system) / messages };
  } finally {
    await srv.stop({ graceSeconds: 0 });
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * CPU µs per run of the interpreter alone (compiled script; each run parses its message's header
 * and body again), the lowest of three passes after a warm-up long enough for the JIT to settle
 * (its compiler threads' CPU time counts in the process's, so a short warm-up reads high).
 */
async function interpreterOnly(runs: number, size: number): Promise<number> {
  const compiled = compileSieve(RULES_30);
  const raws = Array.from({ length: 64 }, (_, i) => message(i, size));
  const ctx = (i: number) => ({
    raw: raws[i % raws.length]!,
    envelope: { from: "sender1@remote.example", to: "user1@example.org" },
    now: new Date(),
  });
  for (let i = 0; i < WARM_UP; i++) await runSieve(compiled, ctx(i));
  let best = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < runs; i++) await runSieve(compiled, ctx(i));
    const cpu = process.cpuUsage(cpu0);
    best = Math.min(best, (cpu.user + cpu.system) / runs);
  }
  return best;
}

/** Runs before a CPU figure is taken (the JIT's optimising compiles happen here). */
const WARM_UP = 5_000;

/**
 * CPU µs per call of the server's Sieve stage (`LocalFilter.plan`: the active-script lookup, the
 * run, the filing) for an account with the 30 rules and one without, alternated and the lowest of
 * three passes kept, each after a warm-up: what the stage adds to a delivery, measured apart from
 * the I/O of storing it.
 */
async function stageOnly(calls: number, size: number): Promise<{ none: number; rules: number }> {
  const dir = await Deno.makeTempDir({ prefix: "tern-bench-sieve-" });
  const srv = await createServer(
    testConfig(dir, { hostname: "bench.test", local_domains: ["example.org"] }),
    undefined,
    { logger: nullLogger },
  );
  try {
    const store = srv.context.store;
    const pipeline = deliveryPipeline(srv.context);
    const filter = sieveFilter(srv.context, () => pipeline);
    const ids: string[] = [];
    const txs = [];
    for (let i = 0; i < 2; i++) {
      const a = await store.createAccount({
        address: `user${i}@example.org`,
        secrets: { passwordHash: "scrypt$16384$8$1$AAAA$AAAA" },
      });
      ids.push(a.id);
      if (i === 1) {
        await store.sieveScripts.put(a.id, "rules", RULES_30);
        await store.sieveScripts.setActive(a.id, "rules");
      }
      const tx = pipeline.begin(
        { from: "sender@remote.example", smtputf8: false, body: "8BITMIME" },
        { kind: "internal", sessionId: "bench" },
        { mayRelay: false },
      );
      await tx.addRecipient({ address: `user${i}@example.org` });
      txs.push(tx);
    }
    const sources = Array.from({ length: 64 }, (_, i) => memorySource(message(i, size)));
    const best = [Infinity, Infinity];
    for (const k of [0, 1, 0, 1, 0, 1]) {
      for (let i = 0; i < WARM_UP; i++) await filter.plan(txs[k]!, sources[i % 64]!, "", [ids[k]!]);
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < calls; i++) await filter.plan(txs[k]!, sources[i % 64]!, "", [ids[k]!]);
      const cpu = process.cpuUsage(cpu0);
      best[k] = Math.min(best[k]!, (cpu.user + cpu.system) / calls);
    }
    return { none: best[0]!, rules: best[1]! };
  } finally {
    await srv.stop({ graceSeconds: 0 });
    await Deno.remove(dir, { recursive: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      rounds: { type: "string", default: "5" },
      messages: { type: "string", default: "4000" },
      size: { type: "string", default: "4096" },
      concurrency: { type: "string", default: "20" },
      only: { type: "string" },
      scripts: { type: "string", default: "same" },
    },
  });
  if (values.scripts !== "same" && values.scripts !== "distinct") {
    throw new Error("--scripts is same or distinct");
  }
  const distinct = values.scripts === "distinct";
  const [messages, size, concurrency] = [
    Number(values.messages),
    Number(values.size),
    Number(values.concurrency),
  ];
  const none: Round[] = [];
  const rules: Round[] = [];
  if (values.only === "stage") {
    // The CPU figures alone (no deliveries): quick, and steady on a busy machine.
    const us = await interpreterOnly(10_000, size);
    const stage = await stageOnly(10_000, size);
    console.log(`interpreter alone: ${us.toFixed(1)} µs CPU per run`);
    console.log(
      `Sieve stage alone: ${stage.rules.toFixed(1)} µs CPU with the script, ${
        stage.none.toFixed(1)
      } µs without`,
    );
    return;
  }
  if (values.only === "none" || values.only === "rules") {
    // Profiling aid: one kind of round only (`--cpu-prof` on it), no ratio.
    for (let r = 0; r < Number(values.rounds); r++) {
      const v = await round(values.only === "rules", messages, size, concurrency, distinct);
      console.log(
        `round ${r + 1}: ${values.only} ${v.rate.toFixed(0)} msgs/s, ${v.cpuUs.toFixed(0)} µs CPU/msg`,
      );
    }
    return;
  }
  for (let r = 0; r < Number(values.rounds); r++) {
    none.push(await round(false, messages, size, concurrency));
    rules.push(await round(true, messages, size, concurrency, distinct));
    const [n, w] = [none.at(-1)!, rules.at(-1)!];
    console.log(
      `round ${r + 1}: none ${n.rate.toFixed(0)} msgs/s (${n.cpuUs.toFixed(0)} µs CPU/msg), ` +
        `30 rules ${w.rate.toFixed(0)} msgs/s (${w.cpuUs.toFixed(0)} µs CPU/msg)`,
    );
  }
  const us = await interpreterOnly(10_000, size);
  const stage = await stageOnly(10_000, size);
  const a = median(none.map((x) => x.rate));
  const b = median(rules.map((x) => x.rate));
  const ca = median(none.map((x) => x.cpuUs));
  const cb = median(rules.map((x) => x.cpuUs));
  console.log(
    "\n| delivery (pipeline, SQLite) | msgs/s (median) | vs none | CPU µs/msg (median) | CPU vs none |",
  );
  console.log(
    "| --------------------------- | --------------- | ------- | ------------------- | ----------- |",
  );
  console.log(`| no script | ${a.toFixed(0)} | 100% | ${ca.toFixed(0)} | 100% |`);
  console.log(
    `| 30-rule script${distinct ? "s (distinct)" : ""} | ${b.toFixed(0)} | ${(b / a * 100).toFixed(1)}% | ${
      cb.toFixed(0)
    } | ${(ca / cb * 100).toFixed(1)}% |`,
  );
  console.log(`\ninterpreter alone (30 rules, ${size} B message): ${us.toFixed(1)} µs CPU per run`);
  console.log(
    `Sieve stage alone (LocalFilter.plan): ${stage.rules.toFixed(1)} µs CPU per delivery with the script, ` +
      `${stage.none.toFixed(1)} µs without (adds ${(stage.rules - stage.none).toFixed(1)} µs)`,
  );
}

if (import.meta.main) await main();
