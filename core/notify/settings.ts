/**
 * The notification settings in force: `[notify]` over its defaults (every key is optional).
 *
 * @module
 */
import type { Config } from "../config/types.ts";

/** `[notify]` with every default applied. */
export interface NotifySettings {
  from: string;
  admins: string[];
  quotaThresholds: number[];
  dedupWindowMs: number;
  rateLimitPerHour: number;
  queueBacklog: number;
  failureRate: number;
  certWarnDays: number;
  checkIntervalMs: number;
}

/** The settings of `config`. */
export function notifySettings(config: Config): NotifySettings {
  const n = config.notify ?? {};
  return {
    from: n.from ?? `postmaster@${config.hostname}`,
    admins: n.admins ?? [],
    quotaThresholds: [...(n.quota_thresholds ?? [80, 100])].sort((a, b) => b - a),
    dedupWindowMs: (n.dedup_window ?? 86_400) * 1000,
    rateLimitPerHour: n.rate_limit_per_hour ?? 20,
    queueBacklog: n.queue_backlog ?? 1000,
    failureRate: n.failure_rate ?? 50,
    certWarnDays: n.cert_warn_days ?? 14,
    checkIntervalMs: (n.check_interval ?? 3600) * 1000,
  };
}
