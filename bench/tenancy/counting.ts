/**
 * Issue 16, "measure which costs less": the store alone (no protocol), C concurrent writers each
 * delivering M messages with `storeMessages`, counted three ways:
 *
 * - `none`: not counted (the floor);
 * - `batched`: core/tenancy/usage.ts (in memory, one `Store.usage.add` per 50 ms in the group commit);
 * - `per-delivery`: one `Store.usage.add` row upsert per delivery, queued in the same event-loop turn
 *   as the delivery, so in the same group commit (a row write per message, durable with it).
 *
 * Prints deliveries/s and commits per delivery for each, in alternating rounds. Run on a quiet
 * machine: `deno run -A bench/tenancy/counting.ts [--rounds 3] [--writers 50] [--messages 100]`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { systemClock } from "../../core/clock.ts";
import { UsageCounter } from "../../core/tenancy/usage.ts";
import { utcDay } from "../../core/tenancy/periods.ts";

const MODES = ["none", "batched", "per-delivery"] as const;
type Mode = typeof MODES[number];

async function run(
  mode: Mode,
  writers: number,
  messages: number,
): Promise<{ rate: number; commits: number }> {
  const dir = await Deno.makeTempDir({ prefix: "tern-bench-counting-" });
  const store = await SqliteStore.open({ dataDir: dir, backgroundIndexing: false });
  try {
    await store.addDomain("example.org");
    const inboxes: { accountId: string; mailboxId: string }[] = [];
    for (let i = 0; i < 20; i++) {
      const a = await store.createAccount({ address: `u${i}@example.org`, secrets: { passwordHash: "x" } });
      inboxes.push({ accountId: a.id, mailboxId: (await store.getMailboxByRole(a.id, "inbox"))!.id });
    }
    const counter = new UsageCounter(store, systemClock, nullLogger);
    const day = utcDay(new Date());
    const body = "x".repeat(4000);
    const flushes0 = store.writeStats.flushes;
    const started = performance.now();
    await Promise.all(Array.from({ length: writers }, async (_, w) => {
      for (let m = 0; m < messages; m++) {
        const to = inboxes[(w + m) % inboxes.length]!;
        const raw = new TextEncoder().encode(`Subject: ${w}/${m}\r\n\r\n${body}\r\n`);
        const stored = store.storeMessages(raw, [{ accountId: to.accountId, mailboxIds: [to.mailboxId] }]);
        if (mode === "per-delivery") {
          await Promise.all([stored, store.usage.add([{ orgId: "default", day, counts: { received: 1 } }])]);
        } else {
          await stored;
          if (mode === "batched") counter.add("default", { received: 1 });
        }
      }
    }));
    await counter.flush();
    const seconds = (performance.now() - started) / 1000;
    const total = writers * messages;
    if (mode !== "none") {
      const got = (await store.usage.sum("default", day, day)).received;
      if (got !== total) throw new Error(`${mode}: counted ${got} of ${total}`);
    }
    return { rate: total / seconds, commits: (store.writeStats.flushes - flushes0) / total };
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      rounds: { type: "string", default: "3" },
      writers: { type: "string", default: "50" },
      messages: { type: "string", default: "100" },
    },
  });
  const rows = new Map<Mode, { rate: number; commits: number }[]>(MODES.map((m) => [m, []]));
  // Warm-up (JIT, page cache), not reported.
  for (const mode of MODES) await run(mode, Number(values.writers), Math.min(20, Number(values.messages)));
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const mode of MODES) {
      const res = await run(mode, Number(values.writers), Number(values.messages));
      rows.get(mode)!.push(res);
      console.log(
        `round ${r + 1} ${mode}: ${res.rate.toFixed(0)} deliveries/s, ${
          res.commits.toFixed(3)
        } commits/delivery`,
      );
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const base = median(rows.get("none")!.map((x) => x.rate));
  console.log("\n| counting | deliveries/s (median) | vs none | commits/delivery |");
  console.log("| -------- | --------------------- | ------- | ---------------- |");
  for (const mode of MODES) {
    const rate = median(rows.get(mode)!.map((x) => x.rate));
    const commits = median(rows.get(mode)!.map((x) => x.commits));
    console.log(
      `| ${mode} | ${rate.toFixed(0)} | ${(rate / base * 100).toFixed(1)}% | ${commits.toFixed(3)} |`,
    );
  }
}

if (import.meta.main) await main();
