/**
 * Builds the server's push dispatcher: outbound requests through the SSRF-guarded client
 * (`[outbound_http] allow_private` decides which private ranges it may reach), VAPID keys kept in
 * `<data_dir>/push/vapid.json`, subject `mailto:postmaster@<hostname>`.
 *
 * @module
 */
import type { Config } from "../config/types.ts";
import type { Store } from "../store/store.ts";
import type { Logger } from "../log/logger.ts";
import type { Clock } from "../clock.ts";
import { NodeDnsResolver } from "../dns/resolver.ts";
import { OutboundHttpClient } from "../net/outbound_http.ts";
import { PushDispatcher, type PushHttp } from "./dispatcher.ts";
import { loadOrCreateVapidKeys } from "./vapid.ts";

/** The configuration keys read here (`[outbound_http]` is optional). */
type PushConfig = Config & { outbound_http?: { allow_private?: string[] } };

/** Creates (not starts) the dispatcher; `http` replaces the guarded client (tests). */
export function createPushDispatcher(
  deps: { config: Config; store: Store; log: Logger; clock: Clock },
  http?: PushHttp,
): PushDispatcher {
  const config = deps.config as PushConfig;
  return new PushDispatcher({
    store: deps.store,
    log: deps.log,
    clock: deps.clock,
    http: http ??
      new OutboundHttpClient(new NodeDnsResolver(), {
        allowPrivate: config.outbound_http?.allow_private ?? [],
      }),
    vapid: () => loadOrCreateVapidKeys(config.data_dir, `mailto:postmaster@${config.hostname}`),
  });
}
