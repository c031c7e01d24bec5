/**
 * The SSRF-guarded outbound HTTP client (outbound_http.ts) as the configuration sets it up:
 * `[outbound_http]` (allow-list, timeouts, response cap) and the DNS resolver (the static zone of
 * `[[queue.static_dns]]` when configured, as in tests; else the system's). Webhooks, `tern webhook
 * test` and JMAP push share it.
 *
 * @module
 */
import type { Config } from "../config/types.ts";
import { type DnsResolver, NodeDnsResolver, StaticDnsResolver } from "../dns/resolver.ts";
import { OutboundHttpClient, type OutboundHttpPolicy } from "./outbound_http.ts";

/** `[outbound_http]` as the client's policy (defaults: nothing private, 5 s, 15 s, 64 KiB). */
export function outboundHttpPolicy(config: Config): Partial<OutboundHttpPolicy> {
  const o = config.outbound_http ?? {};
  return {
    allowPrivate: o.allow_private ?? [],
    connectTimeoutMs: (o.connect_timeout ?? 5) * 1000,
    timeoutMs: (o.timeout ?? 15) * 1000,
    maxResponseBytes: o.max_response_bytes ?? 64 * 1024,
  };
}

/** The resolver outbound HTTP uses: the configured static zone, else the system's. */
export function outboundResolver(config: Config): DnsResolver {
  const zone = config.queue?.static_dns;
  return zone ? new StaticDnsResolver(zone) : new NodeDnsResolver();
}

/**
 * The SSRF-guarded client of a configuration; `extra` adds to its policy (e.g. `keepAliveMs` for a
 * long-lived client, which its owner then `close()`s).
 */
export function outboundHttpClient(
  config: Config,
  extra: Partial<OutboundHttpPolicy> = {},
): OutboundHttpClient {
  return new OutboundHttpClient(outboundResolver(config), { ...outboundHttpPolicy(config), ...extra });
}
