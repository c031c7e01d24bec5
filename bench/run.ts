/**
 * Runs every benchmark suite `bench/<name>/mod.ts` (or the ones named on the command line) in its
 * own process, one after another so they do not compete for the CPU, and prints a summary.
 *
 * Usage: `deno task bench [name...]`, e.g. `deno task bench smtp imap`. The opt-in suites (`OPT_IN`:
 * `peers`) run only when named.
 *
 * @module
 */

const BENCH_DIR = new URL("./", import.meta.url);
const PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-run",
  "--allow-sys",
];

/** Names of the suites present: directories of bench/ holding a mod.ts. */
export async function findSuites(dir: URL = BENCH_DIR): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isDirectory) continue;
    try {
      const info = await Deno.stat(new URL(`${entry.name}/mod.ts`, dir));
      if (info.isFile) names.push(entry.name);
    } catch {
      // no mod.ts: not a suite yet
    }
  }
  return names.sort();
}

/**
 * Suites run only when named (`deno task bench peers`, or their own task): the side-by-side
 * harness needs Dovecot/Postfix installed and a quiet machine, and takes many minutes.
 */
export const OPT_IN: readonly string[] = ["peers"];

/** The suites a bare `deno task bench` runs: those present, without the opt-in ones. */
export function defaultSuites(present: readonly string[]): string[] {
  return present.filter((name) => !OPT_IN.includes(name));
}

async function main(args: string[]): Promise<number> {
  const present = await findSuites();
  const unknown = args.filter((a) => !present.includes(a));
  if (unknown.length > 0) {
    console.error(`Unknown suite(s): ${unknown.join(", ")}; present: ${present.join(", ") || "none"}`);
    return 2;
  }
  const suites = args.length > 0 ? args : defaultSuites(present);
  if (suites.length === 0) {
    console.log("No benchmark suites (bench/<name>/mod.ts) yet.");
    return 0;
  }
  const results: { name: string; ok: boolean; ms: number }[] = [];
  for (const name of suites) {
    console.log(`\n== bench/${name} ==`);
    const started = performance.now();
    const { code } = await new Deno.Command(Deno.execPath(), {
      args: ["run", ...PERMISSIONS, new URL(`${name}/mod.ts`, BENCH_DIR).pathname],
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    results.push({ name, ok: code === 0, ms: performance.now() - started });
  }
  console.log("\n== summary ==");
  for (const r of results) console.log(`${r.ok ? "ok  " : "FAIL"} ${r.name} (${(r.ms / 1000).toFixed(1)} s)`);
  return results.every((r) => r.ok) ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
