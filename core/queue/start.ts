/**
 * Wiring of the outbound queue into a running server: the resolver (static records from config, or
 * `node:dns`), DKIM keys from the store, and the scheduler.
 *
 * @module
 */
import { MtaStsPolicies } from "../mtasts/policies.ts";
import { outboundHttpClient } from "../net/outbound_http_config.ts";
import type { Config } from "../config/types.ts";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { Store } from "../store/store.ts";
import { type DnsResolver, NodeDnsResolver, StaticDnsResolver } from "../dns/resolver.ts";
import { DkimSigner } from "../dkim/signer.ts";
import { Queue, type QueueOptions } from "./queue.ts";
import { queueSettings } from "./settings.ts";
import { TlsRptRecorder } from "../tlsrpt/recorder.ts";
import { startTlsReports, type TlsReportJob } from "../tlsrpt/job.ts";
import type { OutboundQueue } from "../delivery/outbound.ts";

/** The resolver a configuration asks for: its static records when given, else the system's DNS. */
export function resolverFor(config: Config): DnsResolver {
  const records = config.queue?.static_dns;
  return records && records.length > 0 ? new StaticDnsResolver(records) : new NodeDnsResolver();
}

/** Creates the queue for a server context (not started); its records live in `store.queue`. */
export function createQueue(
  ctx: { config: Config; store: Store; log: Logger; clock: Clock },
  overrides: Partial<QueueOptions> = {},
): Queue {
  // RFC 8460: every MX connection's TLS outcome, and every MTA-STS policy that could not be had,
  // is counted for the daily TLS-RPT reports.
  const tlsResults = ctx.config.queue?.tls_reports === false
    ? null
    : new TlsRptRecorder(ctx.store, ctx.log.with({ component: "tlsrpt" }));
  return new Queue({
    store: ctx.store,
    settings: queueSettings(ctx.config),
    clock: ctx.clock,
    log: ctx.log.with({ component: "queue" }),
    dns: resolverFor(ctx.config),
    dkim: new DkimSigner(ctx.store.dkimKeys),
    // RFC 8461: recipient domains' MTA-STS policies, fetched through the SSRF-guarded client.
    mtaSts: ctx.config.queue?.mta_sts === false ? null : new MtaStsPolicies({
      dns: resolverFor(ctx.config),
      http: outboundHttpClient(ctx.config),
      clock: ctx.clock,
      log: ctx.log.with({ component: "mta-sts" }),
      onFailure: (domain, type, reason) =>
        tlsResults?.record({
          policyDomain: domain,
          policyType: "sts",
          policyStrings: [],
          mxHost: "",
          receivingIp: "",
          failure: type,
          reason,
          at: ctx.clock.now(),
        }),
    }),
    tlsResults,
    ...overrides,
  });
}

/**
 * Creates and starts the queue for a server context. The runtime calls it in createServer, puts the
 * result in `ServerContext.outbound`, and awaits `queue.stop()` before closing the store.
 */
export function startQueue(
  ctx: { config: Config; store: Store; log: Logger; clock: Clock },
  overrides: Partial<QueueOptions> = {},
): Queue {
  const q = createQueue(ctx, overrides);
  q.start();
  return q;
}

/**
 * Starts the hourly TLS-RPT report job (RFC 8460) unless `[queue] tls_reports = false`; null when
 * off. The runtime stops it before closing the store.
 */
export function startTlsReporting(
  ctx: { config: Config; store: Store; log: Logger; clock: Clock; outbound?: OutboundQueue },
): TlsReportJob | null {
  if (ctx.config.queue?.tls_reports === false) return null;
  const hostname = ctx.config.hostname;
  return startTlsReports({
    store: ctx.store,
    clock: ctx.clock,
    log: ctx.log.with({ component: "tlsrpt" }),
    dns: resolverFor(ctx.config),
    outbound: ctx.outbound,
    http: outboundHttpClient(ctx.config),
    hostname,
    from: ctx.config.queue?.tls_report_from ?? `postmaster@${hostname}`,
  });
}
