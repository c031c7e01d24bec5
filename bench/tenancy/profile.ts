/**
 * Summarises V8 CPU profiles (`.cpuprofile`, as written by `deno run --cpu-prof` or
 * `bench/tenancy/mod.ts --profile DIR`): self time per function and per source file, and the time
 * spent under (self and callees) any function of files whose path contains `--focus` (default
 * `core/tenancy`), as a share of the profile's non-idle samples.
 *
 * Usage: `deno run -A bench/tenancy/profile.ts [--top 25] [--focus core/tenancy] FILE.cpuprofile...`
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

/** Self and inclusive times of one profile, in ms. */
export interface ProfileSummary {
  /** Time of non-idle samples. */
  busyMs: number;
  /** Self time per `function (file:line)`. */
  selfByFunction: Map<string, number>;
  /** Self time per source file. */
  selfByFile: Map<string, number>;
  /** Time of samples whose stack has a frame of a focused file. */
  focusMs: number;
  /** Self time of those samples per function. */
  focusByFunction: Map<string, number>;
}

const IDLE = new Set(["(idle)", "(program)", "(garbage collector)"]);

/** Summarises one profile; `focus` selects the files whose inclusive time is reported. */
export function summarise(profile: Profile, focus: string): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const focused = new Map<number, boolean>();
  const inFocus = (id: number): boolean => {
    const known = focused.get(id);
    if (known !== undefined) return known;
    const n = byId.get(id)!;
    const p = parent.get(id);
    const v = n.callFrame.url.includes(focus) || (p !== undefined && inFocus(p));
    focused.set(id, v);
    return v;
  };
  const s: ProfileSummary = {
    busyMs: 0,
    selfByFunction: new Map(),
    selfByFile: new Map(),
    focusMs: 0,
    focusByFunction: new Map(),
  };
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const f = byId.get(id)!.callFrame;
    if (f.functionName === "(idle)") return;
    if (!IDLE.has(f.functionName) || f.functionName === "(garbage collector)") s.busyMs += ms;
    const file = f.url.replace(/^file:\/\/.*?\/(core|protocols|bench)\//, "$1/") || f.functionName;
    const fn = `${f.functionName || "(anonymous)"} (${file}:${f.lineNumber + 1})`;
    s.selfByFunction.set(fn, (s.selfByFunction.get(fn) ?? 0) + ms);
    s.selfByFile.set(file, (s.selfByFile.get(file) ?? 0) + ms);
    if (inFocus(id)) {
      s.focusMs += ms;
      s.focusByFunction.set(fn, (s.focusByFunction.get(fn) ?? 0) + ms);
    }
  });
  return s;
}

function top(m: Map<string, number>, n: number): [string, number][] {
  return [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: { top: { type: "string", default: "25" }, focus: { type: "string", default: "core/tenancy" } },
  });
  const n = Number(values.top);
  for (const path of positionals) {
    const s = summarise(JSON.parse(await Deno.readTextFile(path)) as Profile, values.focus);
    const pct = (ms: number) => `${(ms / s.busyMs * 100).toFixed(1)}%`;
    console.log(`\n== ${path}: busy ${s.busyMs.toFixed(0)} ms; under ${values.focus}: ${pct(s.focusMs)}`);
    console.log("-- self time by file");
    for (const [k, v] of top(s.selfByFile, n)) console.log(`${pct(v).padStart(6)}  ${k}`);
    console.log("-- self time by function");
    for (const [k, v] of top(s.selfByFunction, n)) console.log(`${pct(v).padStart(6)}  ${k}`);
    console.log(`-- self time under ${values.focus} by function`);
    for (const [k, v] of top(s.focusByFunction, n)) console.log(`${pct(v).padStart(6)}  ${k}`);
  }
}

if (import.meta.main) await main();
