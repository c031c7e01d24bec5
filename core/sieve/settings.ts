/**
 * The `[sieve]` limits (config.example.toml) with their defaults: the size of a script, the
 * scripts per account, and what one run may do (actions, redirects, steps, time). ManageSieve
 * (HAVESPACE, PUTSCRIPT and its capabilities), JMAP for Sieve (the capability, SieveScript/set),
 * the CLI, the HTTP API and the delivery stage all take their limits from here.
 *
 * @module
 */
import type { SieveConfig } from "../config/types.ts";
import { DEFAULT_RUN_LIMITS, type RunLimits } from "./interpreter.ts";

/** Every Sieve limit, resolved. */
export interface SieveLimits {
  /** Largest script in UTF-8 octets (RFC 5804 §2.3 HAVESPACE, RFC 9661 maxSizeScript). */
  maxScriptBytes: number;
  /** Most scripts per account (RFC 5804 QUOTA/MAXSCRIPTS, RFC 9661 maxNumberScripts). */
  maxScripts: number;
  /** What one run of a script may do. */
  run: RunLimits;
}

/** The limits without configuration. */
export const DEFAULT_SIEVE_LIMITS: SieveLimits = {
  maxScriptBytes: 256 * 1024,
  maxScripts: 64,
  run: DEFAULT_RUN_LIMITS,
};

/** The limits of a `[sieve]` section (absent keys, or an absent section, take the defaults). */
export function sieveLimits(config: SieveConfig | undefined): SieveLimits {
  if (!config) return DEFAULT_SIEVE_LIMITS;
  const d = DEFAULT_SIEVE_LIMITS;
  return {
    maxScriptBytes: config.max_script_size ?? d.maxScriptBytes,
    maxScripts: config.max_scripts ?? d.maxScripts,
    run: {
      ...d.run,
      maxActions: config.max_actions ?? d.run.maxActions,
      maxRedirects: config.max_redirects ?? d.run.maxRedirects,
      maxSteps: config.max_steps ?? d.run.maxSteps,
      maxMillis: config.max_run_ms ?? d.run.maxMillis,
    },
  };
}
