/**
 * The peer harness's workload names and count scaling (kept apart from the runner so they can be
 * tested without starting anything).
 *
 * @module
 */

/** The workloads, in the order they run. */
export const WORKLOADS = ["mixed", "login", "idle", "idle10k", "append", "smtp", "disk"] as const;

/** One workload's name. */
export type Workload = typeof WORKLOADS[number];

/** Parses `--only` (comma-separated names); throws on an unknown name. */
export function parseOnly(only: string | undefined): Workload[] {
  if (!only) return [...WORKLOADS];
  const names = only.split(",").map((s) => s.trim()).filter(Boolean);
  const bad = names.filter((n) => !(WORKLOADS as readonly string[]).includes(n));
  if (bad.length) throw new Error(`unknown workload(s) ${bad.join(", ")}; known: ${WORKLOADS.join(", ")}`);
  return WORKLOADS.filter((w) => names.includes(w));
}

/** `n × scale` rounded, at least `min`. */
export function scaled(n: number, scale: number, min: number): number {
  return Math.max(min, Math.round(n * scale));
}
