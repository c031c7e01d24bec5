/**
 * Tern side by side with its peers, on loopback, same load, same run, alternating rounds
 * (A B A B A B), medians and ratios Tern/peer: Dovecot (IMAP), the Node `smtp-server` floor and
 * Postfix delivering to Dovecot over LMTP (SMTP). One file per workload in this directory; see
 * bench/README.md.
 *
 * Before each round the machine's idle CPU is sampled for 1 s; below `--min-idle` (default 80%)
 * the harness keeps sampling for up to `--settle` seconds (default 120; 0 with `--force`), so a
 * server still finishing the last round's work (Tern's search indexer after an ingest burst)
 * does not fail the gate, then refuses to go on (exit 3) unless `--force` is given (then it warns
 * and the figures are marked as not meaningful).
 *
 * Usage: `deno task bench:peers [--only mixed,login,idle,idle10k,append,smtp,disk] [--scale 1]
 * [--rounds 3] [--seconds 20] [--min-idle 80] [--settle 120] [--force] [--no-postfix]
 * [--dovecot-client-limit 1]`
 *
 * Not run by `deno task bench` (it needs Dovecot/Postfix installed, root for Postfix, and a quiet
 * machine); name it explicitly: `deno task bench peers` or `deno task bench:peers`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { BusyMachine, type Gate, idleCpu, idleSummary, printTable, type Row } from "./lib.ts";
import { dovecotMissing } from "./servers.ts";
import { imapMixed } from "./imap_mixed.ts";
import { imapIdle } from "./imap_idle.ts";
import { imapAppend } from "./imap_append.ts";
import { smtpIngest } from "./smtp_ingest.ts";
import { mailboxDisk } from "./mailbox_disk.ts";
import { parseOnly, scaled, type Workload } from "./options.ts";

/** Whether this process may read /proc/stat (Deno grants /proc only with --allow-all). */
function canReadProc(): boolean {
  try {
    Deno.readTextFileSync("/proc/stat");
    return true;
  } catch {
    return false;
  }
}

/**
 * Re-runs this module with `-A`: reading other processes' /proc entries needs Deno's
 * --allow-all, which `deno task bench` does not grant (its suites spawn -A children the same way).
 */
async function reexec(args: string[]): Promise<number> {
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, ...args],
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return code;
}

async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      only: { type: "string" },
      scale: { type: "string", default: "1" },
      rounds: { type: "string", default: "3" },
      seconds: { type: "string", default: "20" },
      "min-idle": { type: "string", default: "80" },
      settle: { type: "string" },
      force: { type: "boolean", default: false },
      "no-postfix": { type: "boolean", default: false },
      "dovecot-client-limit": { type: "string", default: "1" },
    },
  });
  const scale = Number(values.scale);
  const rounds = Number(values.rounds);
  const dovecotClientLimit = Math.max(1, Math.min(10_000, Number(values["dovecot-client-limit"]) || 1));
  const gate: Gate = {
    minIdle: Number(values["min-idle"]),
    force: values.force,
    settleSeconds: Number(values.settle ?? (values.force ? 0 : 120)),
  };
  if (
    !(scale > 0 && scale <= 10) || !(rounds >= 1 && rounds <= 20) ||
    !(gate.minIdle >= 0 && gate.minIdle <= 100) || !(gate.settleSeconds! >= 0 && gate.settleSeconds! <= 3600)
  ) {
    console.error(
      "--scale must be in (0, 10], --rounds in [1, 20], --min-idle in [0, 100], --settle in [0, 3600]",
    );
    return 2;
  }
  let only: Workload[];
  try {
    only = parseOnly(values.only);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  if (Deno.build.os !== "linux") {
    console.log("skipped: the peer harness reads /proc (Linux only)");
    return 0;
  }
  if (!canReadProc()) return await reexec(args);
  const cpus = navigator.hardwareConcurrency;
  const idle = await idleCpu(1000);
  console.log(
    `bench/peers: ${new Date().toISOString()}, ${cpus} CPUs, idle CPU ${idle}% (threshold ${gate.minIdle}%` +
      `${gate.force ? ", --force" : ""}), scale ${scale}, ${rounds} rounds per server`,
  );
  if (idle < gate.minIdle && !gate.force) {
    // Refuse before starting any server; each round checks again.
    console.error(`machine busy: idle CPU ${idle}% < ${gate.minIdle}% (refusing; --force to run anyway)`);
    return 3;
  }
  if (dovecotMissing) {
    console.log(`Dovecot rows skipped: ${dovecotMissing}`);
  }
  const rows: Row[] = [];
  const failed: string[] = [];
  const started = performance.now();
  for (const w of only) {
    console.log();
    try {
      if (w === "smtp") {
        rows.push(
          ...await smtpIngest({
            sessions: 50,
            messages: scaled(5000, scale, 50),
            size: 4096,
            rounds,
            gate,
            postfix: !values["no-postfix"] && !dovecotMissing,
          }),
        );
        continue;
      }
      if (dovecotMissing) continue;
      const seconds = Math.max(2, Math.round(Number(values.seconds) * scale));
      if (w === "mixed" || w === "login") {
        // Both variants share one pair of servers when both are asked for.
        if (w === "login" && only.includes("mixed")) continue;
        rows.push(
          ...await imapMixed({ clients: 10, seconds, rounds, gate }, {
            long: only.includes("mixed"),
            login: only.includes("login"),
          }),
        );
      } else if (w === "idle") {
        rows.push(
          ...await imapIdle({
            connections: scaled(2000, scale, 20),
            messages: scaled(750, scale, 10),
            accounts: 20,
            dovecotClientLimit,
            rounds,
            gate,
          }),
        );
      } else if (w === "idle10k") {
        rows.push(
          ...await imapIdle({
            connections: scaled(10000, scale, 20),
            messages: scaled(1000, scale, 10),
            accounts: 20,
            dovecotClientLimit,
            rounds,
            gate,
          }),
        );
      } else if (w === "append") {
        rows.push(...await imapAppend({ count: scaled(200, scale, 5), rounds, gate }));
      } else if (w === "disk") {
        rows.push(...await mailboxDisk({ messages: scaled(1000, scale, 20), rounds, gate }));
      }
    } catch (e) {
      if (e instanceof BusyMachine) {
        console.error(`\n${e.message}`);
        if (rows.length) printTable(rows);
        return 3;
      }
      // One workload failing (a peer that would not start, a refused command) leaves the others.
      console.error(`workload ${w} failed: ${(e as Error).stack ?? e}`);
      failed.push(w);
    }
  }
  console.log(`\nbench/peers done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  console.log(idleSummary(gate.minIdle));
  printTable(rows);
  if (failed.length) console.log(`failed workloads: ${failed.join(", ")}`);
  return failed.length ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
