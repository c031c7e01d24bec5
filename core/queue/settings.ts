/**
 * The queue's settings, resolved from `Config.queue` (absent in hand-built test configs) over the
 * defaults of core/config/defaults.ts.
 *
 * @module
 */
import type { Config, QueueConfig, QueueRouteConfig, TlsMode } from "../config/types.ts";
import { defaultConfig } from "../config/defaults.ts";

/** A route with every default filled in. */
export interface ResolvedRoute {
  domains: string[];
  hosts: string[];
  tls: TlsMode;
  requireTls: boolean;
  tlsVerify: boolean;
  username?: string;
  password?: string;
}

/** `[queue]` with every default filled in. */
export type QueueSettings = Omit<QueueConfig, "relay" | "routes"> & {
  hostname: string;
  relay: ResolvedRoute | null;
  routes: ResolvedRoute[];
};

function resolveRoute(r: QueueRouteConfig): ResolvedRoute {
  return {
    domains: (r.domains ?? []).map((d) => d.toLowerCase()),
    hosts: r.hosts,
    tls: r.tls ?? "starttls",
    requireTls: r.require_tls ?? false,
    tlsVerify: r.tls_verify ?? true,
    username: r.username,
    password: r.password,
  };
}

/** The queue settings of a configuration. */
export function queueSettings(config: Config): QueueSettings {
  const base = defaultConfig().queue!;
  const q: QueueConfig = { ...base, ...(config.queue ?? {}) };
  return {
    ...q,
    hostname: q.helo_name ?? config.hostname,
    relay: q.relay ? resolveRoute(q.relay) : null,
    routes: (q.routes ?? []).map(resolveRoute),
  };
}
