/**
 * Periodic store housekeeping while a server runs: blob garbage collection (files whose write was
 * never committed, blobs whose last reference went away; the SQLite store then also gives free
 * pages back and truncates its WAL) and pruning of the change log.
 *
 * @module
 */
import type { Store } from "./store.ts";
import type { Logger } from "../log/logger.ts";

/** Default interval between runs: one hour. */
export const MAINTENANCE_INTERVAL_MS = 3_600_000;

/** Handle of the running housekeeping. */
export interface Maintenance {
  /** Runs one pass now (also what the timer runs). */
  runOnce(): Promise<void>;
  /** Stops the timer and waits for a pass in progress. */
  stop(): Promise<void>;
}

/** Starts housekeeping every `intervalMs`; the first pass runs after one interval. */
export function startMaintenance(
  store: Store,
  log: Logger,
  intervalMs = MAINTENANCE_INTERVAL_MS,
): Maintenance {
  let running: Promise<void> | null = null;
  const runOnce = (): Promise<void> => {
    running ??= (async () => {
      try {
        const gc = await store.collectGarbage();
        const pruned = await store.pruneChanges();
        if (gc.removed > 0 || pruned.removed > 0) {
          log.info("store maintenance", { blobs_removed: gc.removed, changes_pruned: pruned.removed });
        }
      } catch (err) {
        log.error("store maintenance failed", { error: (err as Error)?.message ?? String(err) });
      } finally {
        running = null;
      }
    })();
    return running;
  };
  const timer = setInterval(() => void runOnce(), intervalMs);
  Deno.unrefTimer(timer);
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
