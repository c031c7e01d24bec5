/**
 * Issue 16: SMTP ingest with organizations' plan checks and usage counting, against without.
 * Runs bench/smtp/mod.ts in alternating rounds, `--tenancy off`, `on` (usage counted, no plan) and
 * `plan` (every receive, storage and size limit checked, never reached), and prints each round's
 * messages/s and server CPU per message, then the medians and the ratios to `off` (target: within
 * 5%). Run on a quiet machine.
 *
 * Usage: `deno run -A bench/tenancy/mod.ts [--rounds 3] [--sessions 50] [--messages 40] [--size 4096]
 * [--profile DIR]` (`--profile`: V8 CPU profiles of the server, one directory per mode under DIR;
 * `deno run -A bench/tenancy/profile.ts DIR/on/*.cpuprofile` summarises them).
 *
 * `bench/tenancy/counting.ts` compares the ways of counting at the store alone (batched, one row
 * write per delivery in the same group commit, none); `statements.ts` counts the SQL statements,
 * group commits and write jobs per message of each mode (deterministic, for a busy machine);
 * `decisions.ts` times the policy's own work per message.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { TENANCY_MODES as MODES } from "./modes.ts";

async function round(
  mode: string,
  args: string[],
  profile: string | undefined,
): Promise<{ rate: number; cpu: number | null }> {
  // --profile DIR: each round's server CPU profile goes to DIR/<mode> (bench/tenancy/profile.ts reads them).
  const prof = profile === undefined ? [] : [`--profile=${profile}/${mode}`];
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../smtp/mod.ts", import.meta.url).pathname,
      `--tenancy=${mode}`,
      ...prof,
      ...args,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) throw new Error(`bench/smtp failed: ${text}`);
  const rate = Number(/= (\d+) msgs\/s/.exec(text)?.[1]);
  const cpu = /server CPU ([\d.]+) ms\/msg/.exec(text)?.[1];
  return { rate, cpu: cpu === undefined ? null : Number(cpu) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      rounds: { type: "string", default: "3" },
      sessions: { type: "string", default: "50" },
      messages: { type: "string", default: "40" },
      size: { type: "string", default: "4096" },
      profile: { type: "string" },
    },
  });
  const args = [`--sessions=${values.sessions}`, `--messages=${values.messages}`, `--size=${values.size}`];
  const results = new Map<string, { rate: number; cpu: number | null }[]>(MODES.map((m) => [m, []]));
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const mode of MODES) {
      const res = await round(mode, args, values.profile);
      results.get(mode)!.push(res);
      console.log(`round ${r + 1} ${mode}: ${res.rate} msgs/s, server CPU ${res.cpu ?? "?"} ms/msg`);
    }
  }
  const base = median(results.get("off")!.map((x) => x.rate));
  const baseCpu = median(results.get("off")!.flatMap((x) => x.cpu === null ? [] : [x.cpu]));
  console.log("\n| tenancy | msgs/s (median) | vs off | server CPU ms/msg | vs off |");
  console.log("| ------- | --------------- | ------ | ----------------- | ------ |");
  for (const mode of MODES) {
    const rate = median(results.get(mode)!.map((x) => x.rate));
    const cpu = median(results.get(mode)!.flatMap((x) => x.cpu === null ? [] : [x.cpu]));
    console.log(
      `| ${mode} | ${rate.toFixed(0)} | ${(rate / base * 100).toFixed(1)}% | ${cpu.toFixed(3)} | ${
        (cpu / baseCpu * 100).toFixed(1)
      }% |`,
    );
  }
}

if (import.meta.main) await main();
