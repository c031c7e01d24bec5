/**
 * Builds the server's push dispatcher: outbound requests through the SSRF-guarded client as
 * `[outbound_http]` sets it up (core/net/outbound_http_config.ts, shared with webhooks), VAPID keys
 * kept in `<data_dir>/push/vapid.json`, subject `mailto:postmaster@<hostname>`.
 *
 * @module
 */
import type { Config } from "../config/types.ts";
import type { Store } from "../store/store.ts";
import type { Logger } from "../log/logger.ts";
import type { Clock } from "../clock.ts";
import { outboundHttpClient } from "../net/outbound_http_config.ts";
import { PushDispatcher, type PushHttp } from "./dispatcher.ts";
import { loadOrCreateVapidKeys } from "./vapid.ts";

/** Creates (not starts) the dispatcher; `http` replaces the guarded client (tests). */
export function createPushDispatcher(
  deps: { config: Config; store: Store; log: Logger; clock: Clock },
  http?: PushHttp,
): PushDispatcher {
  const { config } = deps;
  return new PushDispatcher({
    store: deps.store,
    log: deps.log.with({ component: "push" }),
    clock: deps.clock,
    http: http ?? outboundHttpClient(config),
    vapid: () => loadOrCreateVapidKeys(config.data_dir, `mailto:postmaster@${config.hostname}`),
  });
}
