/**
 * The `[spam]` settings with their defaults filled in (core/config/types.ts SpamConfig).
 *
 * @module
 */
import type { SpamConfig, SpamWeights } from "../config/types.ts";

/** Every weight, defaults filled in. */
export type Weights = Required<SpamWeights>;

/** `[spam]` with defaults. */
export interface SpamSettings {
  enabled: boolean;
  threshold: number;
  train: boolean;
  maxTokens: number;
  maxMarks: number;
  rspamdUrl: string | null;
  /** Milliseconds. */
  rspamdTimeout: number;
  weights: Weights;
}

/** The default points of each rule (SpamAssassin-like magnitudes: 5 points make spam). */
export const DEFAULT_WEIGHTS: Readonly<Weights> = {
  spf_fail: 3,
  spf_softfail: 1,
  dkim_fail: 1,
  dmarc_fail: 3,
  dmarc_pass: -1,
  rdns_fail: 1,
  helo_bad: 1,
  no_message_id: 1,
  no_date: 1,
  subject_caps: 1,
  html_only: 1,
  bayes: 6,
};

/** The settings of a `[spam]` table (absent: the defaults, filtering off). */
export function spamSettings(c: SpamConfig | undefined): SpamSettings {
  return {
    enabled: c?.enabled ?? false,
    threshold: c?.threshold ?? 5,
    train: c?.train ?? true,
    maxTokens: c?.max_tokens ?? 100_000,
    maxMarks: c?.max_marks ?? 20_000,
    rspamdUrl: c?.rspamd_url ?? null,
    rspamdTimeout: (c?.rspamd_timeout ?? 10) * 1000,
    weights: { ...DEFAULT_WEIGHTS, ...c?.weights },
  };
}
