/**
 * The server's health: on demand (`GET /health/detailed`) and periodically every `[health]
 * interval` seconds, each periodic report kept in `Store.healthChecks` for `history_days` (older
 * ones pruned as new ones are added) for `GET /api/v1/admin/health/history`.
 *
 * @module
 */
import type { Logger } from "../log/logger.ts";
import {
  type ComponentCheck,
  defaultChecks,
  type HealthCheckRecord,
  type HealthDeps,
  runChecks,
} from "./checks.ts";
import { healthSettings } from "./settings.ts";

const DAY_MS = 86_400_000;

/** Runs the health checks of one server. */
export class HealthMonitor {
  readonly #deps: HealthDeps;
  readonly #checks: ComponentCheck[];
  readonly #log: Logger;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #running: Promise<void> | null = null;
  #stopped = false;

  /**
   * @param deps what the checks look at
   * @param log where a failed periodic run is reported
   * @param checks the checks to run (default: every component of core/health/checks.ts)
   */
  constructor(deps: HealthDeps, log: Logger, checks?: ComponentCheck[]) {
    this.#deps = deps;
    this.#log = log;
    this.#checks = checks ?? defaultChecks(deps);
  }

  /** Checks every component now. */
  check(): Promise<HealthCheckRecord> {
    return runChecks(this.#checks, this.#deps.clock);
  }

  /** Checks now, keeps the report and prunes the history beyond `history_days`. */
  async record(): Promise<HealthCheckRecord> {
    const report = await this.check();
    const { history_days } = healthSettings(this.#deps.config);
    await this.#deps.store.healthChecks.add(report);
    await this.#deps.store.healthChecks.prune(new Date(report.checkedAt.getTime() - history_days * DAY_MS));
    if (report.status !== "healthy") {
      this.#log.warn("health check", {
        status: report.status,
        components: report.components.filter((c) => c.status !== "healthy").map((c) => c.name).join(","),
      });
    }
    return report;
  }

  /** Starts the periodic checks (none when `interval` is 0); the first runs one interval from now. */
  start(): void {
    if (this.#stopped) return;
    const seconds = healthSettings(this.#deps.config).interval;
    if (seconds <= 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#running = this.record().then(
        () => {},
        (err) => this.#log.error("health check failed", { error: (err as Error)?.message ?? String(err) }),
      ).finally(() => {
        this.#running = null;
        this.start();
      });
    }, seconds * 1000);
  }

  /** Stops the periodic checks; resolves once a run in progress has ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }
}
