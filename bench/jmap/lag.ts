/**
 * Event-loop lag sampler for the JMAP benches (issue 24's latency tail): a 1 ms timer that records
 * how late each tick runs. A late tick means the JS thread was busy (a long task, a GC pause) or
 * starved of CPU; the histogram and the worst stalls (with their time since the sampler started)
 * show whether the tail of request latency comes from stalls of the whole loop. Bench-only: about
 * 1,000 wake-ups a second cost a little CPU, so it is off unless a bench asks for it.
 *
 * @module
 */
import process from "node:process";

/** Upper bounds (ms) of the histogram's buckets; the last bucket is open. */
export const LAG_BUCKETS = [1, 2, 3, 5, 8, 12, 20, 30, 50];

/** What the sampler saw. */
export interface LagSummary {
  /** Ticks sampled. */
  ticks: number;
  /** Ticks per bucket of lateness: `counts[i]` ≤ `LAG_BUCKETS[i]` ms, the last one above. */
  counts: number[];
  /** Milliseconds of wall time lost in ticks later than 2 ms (the sum of their lateness). */
  stalledMs: number;
  /** Of `stalledMs`, the process's CPU time in those ticks (less: the thread waited for a core). */
  stalledCpuMs: number;
  /**
   * The worst stalls: `[ms since start, lateness ms, process CPU ms in that tick]`, worst first. CPU
   * near the tick's length means a long task (or GC); far below it, the process was not running.
   */
  worst: [number, number, number][];
}

/** Starts sampling; `stop()` ends it and returns the summary. */
export function startLagSampler(keepWorst = 20): { stop: () => LagSummary; startedAt: number } {
  const counts = new Array<number>(LAG_BUCKETS.length + 1).fill(0);
  const worst: [number, number, number][] = [];
  const startedAt = performance.now();
  let ticks = 0;
  let stalledMs = 0;
  let stalledCpuMs = 0;
  let last = startedAt;
  let lastCpu = cpuMs();
  const timer = setInterval(() => {
    const now = performance.now();
    // A 1 ms interval due at last + 1: anything beyond is lateness.
    const late = Math.max(0, now - last - 1);
    const cpu = cpuMs();
    const used = cpu - lastCpu;
    last = now;
    lastCpu = cpu;
    ticks++;
    let i = 0;
    while (i < LAG_BUCKETS.length && late > LAG_BUCKETS[i]!) i++;
    counts[i]!++;
    if (late > 2) {
      stalledMs += late;
      stalledCpuMs += Math.min(used, late + 1);
    }
    if (worst.length < keepWorst || late > worst[worst.length - 1]![1]) {
      worst.push([now - late - startedAt, late, used]);
      worst.sort((a, b) => b[1] - a[1]);
      if (worst.length > keepWorst) worst.pop();
    }
  }, 1);
  return {
    startedAt,
    stop: () => {
      clearInterval(timer);
      return { ticks, counts, stalledMs, stalledCpuMs, worst };
    },
  };
}

/** CPU time (user + system) of this process, in ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** One line for the histogram and one for the worst stalls. */
export function formatLag(who: string, s: LagSummary, seconds: number): string {
  const labels = LAG_BUCKETS.map((b) => `≤${b}`).concat(`>${LAG_BUCKETS[LAG_BUCKETS.length - 1]}`);
  const hist = s.counts.map((c, i) => `${labels[i]}:${c}`).join(" ");
  const worst = s.worst.map(([at, ms, cpu]) =>
    `${(at / 1000).toFixed(2)}s/${ms.toFixed(1)}/${cpu.toFixed(1)}`
  )
    .join(" ");
  return `${who}: event-loop lag over ${s.ticks} ticks (ms): ${hist}; ${s.stalledMs.toFixed(0)} ms stalled ` +
    `in ticks > 2 ms (${
      ((s.stalledMs / (seconds * 1000)) * 100).toFixed(1)
    }% of the run; process CPU in them ` +
    `${s.stalledCpuMs.toFixed(0)} ms)\n` +
    `${who}: worst stalls (s since start/late ms/process CPU ms): ${worst}`;
}
