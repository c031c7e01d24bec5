/**
 * The webhook settings in force: `[webhooks]` over its defaults (every key is optional).
 *
 * @module
 */
import type { Config } from "../config/types.ts";

/** `[webhooks]` with every default applied. */
export interface WebhookSettings {
  enabled: boolean;
  retryBaseMs: number;
  retryMaxMs: number;
  lifetimeMs: number;
  concurrency: number;
  perEndpointConcurrency: number;
  circuitFailures: number;
  circuitPauseMs: number;
  pollIntervalMs: number;
  publicUrl: string;
  attachmentUrlTtlMs: number;
  inlineAttachmentMax: number;
  maxBodyChars: number;
  logDays: number;
}

/** The settings of `config` (defaults: the seed's 60 s doubling to 960 s, a day's lifetime). */
export function webhookSettings(config: Config): WebhookSettings {
  const w = config.webhooks ?? {};
  return {
    enabled: w.enabled ?? true,
    retryBaseMs: (w.retry_base ?? 60) * 1000,
    retryMaxMs: (w.retry_max ?? 960) * 1000,
    lifetimeMs: (w.lifetime ?? 86_400) * 1000,
    concurrency: w.concurrency ?? 16,
    perEndpointConcurrency: w.per_endpoint_concurrency ?? 4,
    circuitFailures: w.circuit_failures ?? 5,
    circuitPauseMs: (w.circuit_pause ?? 300) * 1000,
    pollIntervalMs: (w.poll_interval ?? 30) * 1000,
    publicUrl: (w.public_url ?? `https://${config.hostname}`).replace(/\/+$/, ""),
    attachmentUrlTtlMs: (w.attachment_url_ttl ?? 7 * 86_400) * 1000,
    inlineAttachmentMax: w.inline_attachment_max ?? 0,
    maxBodyChars: w.max_body_chars ?? 256 * 1024,
    logDays: w.log_days ?? 30,
  };
}

/**
 * The retry delay after `attempts` failed attempts: `base · 2^(attempts-1)`, capped at `max`
 * (60, 120, 240, 480, 960, 960, … with the defaults).
 */
export function retryDelayMs(attempts: number, baseMs: number, maxMs: number): number {
  const exp = Math.min(Math.max(attempts - 1, 0), 30);
  return Math.min(baseMs * 2 ** exp, maxMs);
}
