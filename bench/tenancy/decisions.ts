/**
 * Issue 16: the tenancy policy's own cost per delivered message, without the protocol: for each
 * message the RCPT decision (`checkRecipient`), the pipeline's plan-size stage after the data, and
 * the counting after the commit (`recordDelivery`), over a real SQLite store in which one message
 * is stored every `--batch` messages (a group commit: what invalidates the store's cached answers).
 * Modes as bench/tenancy/mod.ts: `on` (no plan) and `plan` (every limit checked, never reached);
 * the stored messages are timed apart and not counted.
 *
 * CPU-bound and in one process, so steadier than the wire bench on a busy machine: it prints the
 * best of `--rounds` microseconds per message for each mode.
 *
 * Usage: `deno run -A bench/tenancy/decisions.ts [--rounds 7] [--messages 20000] [--batch 20]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { systemClock } from "../../core/clock.ts";
import { TenancyPolicy } from "../../core/tenancy/policy.ts";
import { addOrganization, addPlan } from "../../core/tenancy/operations.ts";
import { planSizeStage } from "../../core/delivery/plan_size_stage.ts";
import type { DeliveryTransaction } from "../../core/delivery/pipeline.ts";
import type { MessageSource } from "../../core/delivery/spool.ts";
import type { Account } from "../../core/store/types.ts";

const ACCOUNTS = 20;

async function run(mode: "on" | "plan", messages: number, batch: number): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "tern-bench-decisions-" });
  const store = await SqliteStore.open({ dataDir: dir, backgroundIndexing: false });
  try {
    await store.addDomain("example.org");
    const accounts: Account[] = [];
    for (let i = 0; i < ACCOUNTS; i++) {
      accounts.push(
        await store.createAccount({ address: `u${i}@example.org`, secrets: { passwordHash: "x" } }),
      );
    }
    if (mode === "plan") {
      const big = 1e12;
      await addPlan(store, {
        id: "bench",
        limits: { receivedPerDay: big, receivedPerMonth: big, storageBytes: big, maxMessageSize: big },
      });
      await addOrganization(store, { id: "bench", plan: "bench", domains: ["example.org"] });
    }
    const policy = new TenancyPolicy(store, systemClock, nullLogger);
    const stage = planSizeStage(policy);
    const inboxes = await Promise.all(
      accounts.map(async (a) => (await store.getMailboxByRole(a.id, "inbox"))!.id),
    );
    const raw = new TextEncoder().encode(`Subject: bench\r\n\r\n${"x".repeat(4000)}\r\n`);
    const message = { size: 4096 } as unknown as MessageSource;
    let spent = 0;
    for (let m = 0; m < messages; m++) {
      const a = accounts[m % ACCOUNTS]!;
      if (m % batch === 0) {
        // A commit between decisions, as the deliveries' group commits do (not timed).
        await store.storeMessages(raw, [{ accountId: a.id, mailboxIds: [inboxes[m % ACCOUNTS]!] }]);
      }
      const tx = {
        origin: { kind: "smtp", authenticatedAs: null },
        recipients: [{ address: a.address, route: "local", accounts: [a] }],
      } as unknown as DeliveryTransaction;
      const t0 = performance.now();
      if (await policy.checkRecipient([a], 0)) throw new Error("refused at RCPT");
      if (!(await stage.check(tx, message)).accept) throw new Error("refused after the data");
      await policy.recordDelivery(null, [a.id]);
      spent += performance.now() - t0;
    }
    await policy.close();
    return spent * 1000 / messages;
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      rounds: { type: "string", default: "7" },
      messages: { type: "string", default: "20000" },
      batch: { type: "string", default: "20" },
    },
  });
  const best = { on: Infinity, plan: Infinity };
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const mode of ["on", "plan"] as const) {
      best[mode] = Math.min(best[mode], await run(mode, Number(values.messages), Number(values.batch)));
    }
  }
  console.log("| tenancy | policy µs/msg (best of rounds) |");
  console.log("| ------- | ------------------------------ |");
  for (const mode of ["on", "plan"] as const) console.log(`| ${mode} | ${best[mode].toFixed(2)} |`);
}

if (import.meta.main) await main();
