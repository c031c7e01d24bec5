/**
 * Shared pieces of the side-by-side harness: the busy-machine gate (idle CPU from /proc/stat),
 * CPU time and PSS of a server's process tree (from /proc), medians, alternating rounds and the
 * result table. Linux only (everything reads /proc).
 *
 * @module
 */

/** One row of the final table: a measure, Tern's samples and the peer's. */
export interface Row {
  /** What is measured, e.g. `IMAP mixed load, commands/s`. */
  measure: string;
  /** Unit appended to the medians, e.g. `µs`. */
  unit: string;
  /** The peer's label, e.g. `dovecot`. */
  peer: string;
  tern: number[];
  other: number[];
  /** Free text printed under the table (what differs between the two sides). */
  note?: string;
}

/**
 * Makes the table rows of one comparison: each row picks one figure from every round's result of
 * Tern (`tern`) and of the peer (`other`), e.g. `row("commands/s", "", (x) => x.commandsPerSecond)`.
 */
export function rowsOf<T>(
  peer: string,
  tern: readonly T[],
  other: readonly T[],
): (measure: string, unit: string, pick: (x: T) => number, note?: string) => Row {
  return (measure, unit, pick, note) => ({
    measure,
    unit,
    peer,
    tern: tern.map(pick),
    other: other.map(pick),
    ...(note === undefined ? {} : { note }),
  });
}

/** Busy-machine gate options. */
export interface Gate {
  /** Minimum idle CPU in percent before a round starts. */
  minIdle: number;
  /** Warn instead of refusing when the machine is busy. */
  force: boolean;
  /**
   * Seconds a round may wait for the machine to go quiet before the gate decides (the last
   * round's server may still be working: Tern indexes for search after a burst of deliveries).
   * Default 0.
   */
  settleSeconds?: number;
}

/** Thrown when the machine is too busy and `--force` was not given. */
export class BusyMachine extends Error {}

/** Idle CPU (%) sampled before every round of this run, in order (for the report's summary). */
export const idleBeforeRounds: number[] = [];

/** One line stating the idle CPU measured before the rounds (min, median, max, how many low). */
export function idleSummary(minIdle: number): string {
  const xs = idleBeforeRounds;
  if (xs.length === 0) return "no rounds ran";
  const low = xs.filter((x) => x < minIdle).length;
  return `idle CPU before the ${xs.length} rounds: min ${Math.min(...xs)}%, median ${median(xs)}%, max ${
    Math.max(...xs)
  }%; ${low} below the ${minIdle}% threshold${low ? " (run with --force: figures not meaningful)" : ""}`;
}

interface CpuTimes {
  idle: number;
  total: number;
}

function cpuTimes(procStat: string): CpuTimes {
  // proc(5): "cpu  user nice system idle iowait irq softirq steal guest guest_nice" in USER_HZ;
  // guest time is already counted in user, so the first eight fields make the total.
  const line = procStat.split("\n")[0]!;
  const f = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const idle = f[3]! + f[4]!;
  return { idle, total: f.reduce((a, b) => a + b, 0) };
}

/** Idle CPU in percent (idle + iowait) between two readings of /proc/stat; 100 when no time passed. */
export function idlePercent(before: string, after: string): number {
  const a = cpuTimes(before);
  const b = cpuTimes(after);
  const total = b.total - a.total;
  return total <= 0 ? 100 : Math.round(((b.idle - a.idle) / total) * 1000) / 10;
}

/** The machine's idle CPU in percent over `ms` milliseconds (all cores together). */
export async function idleCpu(ms = 1000): Promise<number> {
  const a = Deno.readTextFileSync("/proc/stat");
  await new Promise((r) => setTimeout(r, ms));
  return idlePercent(a, Deno.readTextFileSync("/proc/stat"));
}

/**
 * Samples idle CPU (`sample`, default ~1 s of /proc/stat) and returns it. Below `gate.minIdle`
 * it samples again for up to `gate.settleSeconds` (saying so once), then throws `BusyMachine`,
 * or with `gate.force` prints a warning and goes on.
 */
export async function checkIdle(
  gate: Gate,
  what: string,
  sample: () => Promise<number> = idleCpu,
  now: () => number = Date.now,
): Promise<number> {
  let idle = await sample();
  const settleMs = Math.max(0, gate.settleSeconds ?? 0) * 1000;
  if (idle < gate.minIdle && settleMs > 0) {
    console.log(
      `  waiting up to ${settleMs / 1000} s before ${what}: idle CPU ${idle}% < ${gate.minIdle}% ` +
        "(a server may still be busy, e.g. Tern's search indexer after a burst of deliveries)",
    );
    const until = now() + settleMs;
    const started = now();
    while (idle < gate.minIdle && now() < until) idle = await sample();
    if (idle >= gate.minIdle) {
      console.log(`  quiet after ${((now() - started) / 1000).toFixed(0)} s: idle CPU ${idle}%`);
    }
  }
  if (idle < gate.minIdle) {
    const msg = `machine busy before ${what}: idle CPU ${idle}% < ${gate.minIdle}%`;
    if (!gate.force) throw new BusyMachine(`${msg} (refusing; --force to run anyway)`);
    console.log(`  WARNING ${msg} (--force: figures not meaningful)`);
  }
  return idle;
}

/** Parent pid of every process, from /proc/<pid>/stat. */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(Number(e.name), Number(rest[1]));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** `roots` and every descendant of them that is alive now. */
export function processTree(roots: number[]): number[] {
  const pp = parents();
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of pp) {
    const list = children.get(ppid) ?? [];
    list.push(pid);
    children.set(ppid, list);
  }
  const seen = new Set<number>();
  const stack = roots.filter((r) => pp.has(r));
  while (stack.length > 0 && seen.size < 100_000) {
    const p = stack.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    stack.push(...(children.get(p) ?? []));
  }
  return [...seen];
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/**
 * CPU time (utime + stime, ms) of the processes in the trees under `roots`, plus the CPU time
 * their exited children were charged with (cutime + cstime: Dovecot's and Postfix's short-lived
 * workers). Compare two readings of the same long-lived roots.
 */
export function treeCpuMs(roots: number[]): number {
  let ticks = 0;
  for (const pid of processTree(roots)) {
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // proc(5) fields 14-17 (utime stime cutime cstime) are at 11..14 after "state".
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      // exited between listing and reading; its time moves to the parent's cutime
    }
  }
  return ticks * TICK_MS;
}

/**
 * Waits until a server has finished the work a round left it (Tern indexes for search after a burst
 * of deliveries): until `cpuMs()` (the server's CPU time, e.g. `treeCpuMs`) grows by less than
 * `quietMs` over a window of `windowMs`, or `limitMs` passed. Resolves with the last reading, so the
 * caller can count the deferred work in its figure, and so the next round, whichever side it is,
 * does not share the machine with it (the idle gate alone lets a 15%-busy indexer through).
 */
export async function settleCpu(
  cpuMs: () => number,
  o: { windowMs?: number; quietMs?: number; limitMs?: number } = {},
  wait: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  now: () => number = performance.now.bind(performance),
): Promise<number> {
  const windowMs = o.windowMs ?? 500;
  const quietMs = o.quietMs ?? 10;
  const until = now() + (o.limitMs ?? 120_000);
  let last = cpuMs();
  for (;;) {
    await wait(windowMs);
    const next = cpuMs();
    const grew = next - last;
    last = next;
    if (grew < quietMs || now() >= until) return last;
  }
}

/** Sum of PSS (bytes) of the processes in the trees under `roots` (/proc/<pid>/smaps_rollup). */
export function treePss(roots: number[]): number {
  let kb = 0;
  for (const pid of processTree(roots)) {
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`));
      if (m) kb += Number(m[1]);
    } catch {
      // exited or not readable
    }
  }
  return kb * 1024;
}

/** Number of processes in the trees under `roots`. */
export function treeSize(roots: number[]): number {
  return processTree(roots).length;
}

/** Bytes allocated on disk (st_blocks × 512) under `path`, files and directories. */
export async function diskBytes(path: string): Promise<number> {
  let total = 0;
  const walk = async (p: string, depth: number): Promise<void> => {
    if (depth > 32) return;
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(p);
    } catch {
      return;
    }
    total += (info.blocks ?? 0) * 512;
    if (!info.isDirectory) return;
    for await (const e of Deno.readDir(p)) await walk(`${p}/${e.name}`, depth + 1);
  };
  await walk(path, 0);
  return total;
}

/** The median of `xs` (mean of the middle two for an even count); NaN when empty. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Formats a number for the table: 3 significant digits, thousands separated. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return "n/a";
  const abs = Math.abs(x);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** Prints the rows as a Markdown table (medians, ratio Tern/peer) and their notes. */
export function printTable(rows: readonly Row[]): void {
  console.log("\n| Measure | Tern | Peer | Ratio Tern/peer | Rounds (Tern; peer) |");
  console.log("|---|---|---|---|---|");
  for (const r of rows) {
    const t = median(r.tern);
    const p = median(r.other);
    const u = r.unit ? ` ${r.unit}` : "";
    const ratio = p === 0 || !Number.isFinite(p) || !Number.isFinite(t) ? "n/a" : (t / p).toFixed(2);
    console.log(
      `| ${r.measure} | ${fmt(t)}${u} | ${r.peer} ${fmt(p)}${u} | ${ratio} | ${r.tern.map(fmt).join(", ")}; ${
        r.other.map(fmt).join(", ")
      } |`,
    );
  }
  for (const r of rows) if (r.note) console.log(`- ${r.measure}: ${r.note}`);
}

/**
 * Runs `rounds` rounds alternating between the sides (A B A B …), each after the busy gate, and
 * returns each side's results in order. `run(side, round)` performs one round; `warmup(side)`,
 * when given, runs once per side before the first round and is not measured (JIT, caches).
 */
export async function alternate<S extends string, T>(
  sides: readonly S[],
  rounds: number,
  gate: Gate,
  what: string,
  run: (side: S, round: number) => Promise<T>,
  warmup?: (side: S) => Promise<unknown>,
): Promise<Map<S, T[]>> {
  const out = new Map<S, T[]>(sides.map((s) => [s, []]));
  if (warmup) {
    for (const side of sides) await warmup(side);
  }
  for (let r = 0; r < rounds; r++) {
    for (const side of sides) {
      const idle = await checkIdle(gate, `${what} round ${r + 1} (${side})`);
      idleBeforeRounds.push(idle);
      const started = performance.now();
      const result = await run(side, r);
      console.log(
        `  round ${r + 1} ${side}: idle before ${idle}%, ${
          ((performance.now() - started) / 1000).toFixed(1)
        } s: ${JSON.stringify(result)}`,
      );
      out.get(side)!.push(result);
    }
  }
  return out;
}

const enc = new TextEncoder();

/**
 * A plain-text message of about `size` bytes, unique per (`tag`, `n`) so no store can share
 * content between messages.
 */
export function benchMessage(size: number, tag: string, n: number, to = "user@example.org"): Uint8Array {
  const words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"];
  let s = `From: Sender ${n % 50} <sender${n % 50}@remote.test>\r\nTo: ${to}\r\n` +
    `Subject: ${words[n % 10]} ${words[Math.floor(n / 10) % 10]} report ${n}\r\n` +
    `Date: Sat, 21 Nov 2026 10:00:00 +0000\r\nMessage-ID: <${tag}.${n}@remote.test>\r\n` +
    `MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello,\r\n\r\n`;
  const line = "The quick brown fox jumps over the lazy dog 0123456789 abcdefghijklmnopqrstuvwxyz.\r\n";
  while (s.length + line.length < size - 2) s += line;
  s += "x".repeat(Math.max(0, size - s.length - 2)) + "\r\n";
  return enc.encode(s);
}

/** Rejects after `ms` with `what` in the message (bounds every wait of the harness). */
export function deadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result after ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
