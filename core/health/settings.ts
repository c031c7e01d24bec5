/**
 * The health checks' settings: `[health]` over the defaults of core/config/defaults.ts (hand-built
 * test configurations may leave the section out).
 *
 * @module
 */
import type { Config, HealthConfig } from "../config/types.ts";
import { defaultConfig } from "../config/defaults.ts";

/** `[health]` with every default filled in. */
export function healthSettings(config: Config): HealthConfig {
  return { ...defaultConfig().health!, ...(config.health ?? {}) };
}
