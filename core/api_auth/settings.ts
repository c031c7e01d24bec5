/**
 * The admin API's session settings (`[api]`), with their defaults for configurations built by hand.
 *
 * @module
 */
import type { ApiConfig, Config } from "../config/types.ts";

/** Defaults of `[api]` (also in core/config/defaults.ts). */
export const API_DEFAULTS: Readonly<ApiConfig> = Object.freeze({
  access_token_ttl: 900,
  refresh_token_ttl: 30 * 86_400,
  session_absolute: 90 * 86_400,
  session_idle: 30 * 86_400,
  platform_admins: [],
});

/** `[api]` of a configuration, defaults filled in. */
export function apiSettings(config: Config): ApiConfig {
  return { ...API_DEFAULTS, ...(config.api ?? {}) };
}
