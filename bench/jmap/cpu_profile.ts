/**
 * Summarises a V8 CPU profile (`deno run --cpu-prof`, a `.cpuprofile` file): the functions with
 * the most self time, and with the most inclusive time (self plus everything they called), each
 * as a share of the sampled time. Idle and garbage collection are shown as V8 names them.
 *
 * Usage: `deno run -A bench/jmap/cpu_profile.ts FILE.cpuprofile [--top 30] [--match text]`;
 * `--match` keeps the inclusive rows whose name or URL contains the text.
 *
 * @module
 */
import { parseArgs } from "node:util";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** A row of the summary: a function (name, file:line) and its self and inclusive time in µs. */
export interface ProfileRow {
  name: string;
  self: number;
  total: number;
}

/** Self and inclusive time per function (by name and location) of a CPU profile. */
export function summarise(profile: Profile): { rows: ProfileRow[]; sampled: number } {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const label = (n: ProfileNode) => {
    const f = n.callFrame;
    const file = f.url.replace(/^file:\/\/.*?\/(main|tern)\//, "").replace(/^.*\/node_modules\//, "npm:");
    return `${f.functionName || "(anonymous)"} ${file}:${f.lineNumber + 1}`;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let sampled = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    sampled += dt;
    let id: number | undefined = profile.samples[i]!;
    const leaf = byId.get(id)!;
    self.set(label(leaf), (self.get(label(leaf)) ?? 0) + dt);
    const seen = new Set<string>();
    while (id !== undefined) {
      const l = label(byId.get(id)!);
      if (!seen.has(l)) {
        seen.add(l);
        total.set(l, (total.get(l) ?? 0) + dt);
      }
      id = parent.get(id);
    }
  }
  const rows = [...total].map(([name, t]) => ({ name, self: self.get(name) ?? 0, total: t }));
  return { rows, sampled };
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: { top: { type: "string", default: "30" }, match: { type: "string" } },
  });
  const top = Number(values.top);
  const { rows, sampled } = summarise(JSON.parse(await Deno.readTextFile(positionals[0]!)) as Profile);
  const pct = (us: number) => `${(100 * us / sampled).toFixed(1).padStart(5)}%`;
  const busy = rows.filter((r) => !/^\((idle|program|root)\)/.test(r.name));
  console.log(`sampled ${(sampled / 1e6).toFixed(1)} s`);
  console.log("\nself:");
  for (const r of [...rows].sort((a, b) => b.self - a.self).slice(0, top)) {
    console.log(`${pct(r.self)}  ${r.name}`);
  }
  console.log("\ninclusive:");
  const filter = values.match;
  for (
    const r of busy.filter((r) => filter === undefined || r.name.includes(filter))
      .sort((a, b) => b.total - a.total).slice(0, top)
  ) {
    console.log(`${pct(r.total)}  ${r.name}`);
  }
}
