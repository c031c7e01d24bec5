/**
 * Per-server wiring of inbound checks: one DNS cache (the configuration's static records, or the
 * system resolver) shared by the message stage and the SMTP connection checks, built on first use.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type { Config, SmtpChecksConfig } from "../config/types.ts";
import { defaultChecks } from "../config/defaults.ts";
import type { InboundStage } from "../delivery/pipeline.ts";
import type { Logger } from "../log/logger.ts";
import { NodeDnsResolver, StaticDnsResolver } from "../dns/resolver.ts";
import type { Store } from "../store/store.ts";
import { CachingDns } from "../dns/cached_resolver.ts";
import { CidrList } from "../policy/cidr.ts";
import { mailAuthStage } from "./stage.ts";
import { ConnectionChecks } from "./connection.ts";
import { dmarcRecorder, type ReportJob, startDmarcReports } from "./dmarc_report.ts";
import { dmarcReportHook } from "./dmarc_incoming.ts";
import type { OutboundQueue } from "../delivery/outbound.ts";
import type { PostDeliveryHook } from "../delivery/pipeline.ts";

/** What inbound checks need from a server (a `ServerContext` fits). */
export interface MailAuthServer {
  readonly store: Store;
  readonly clock: Clock;
  readonly log: Logger;
  readonly outbound?: OutboundQueue;
  readonly config: Pick<Config, "hostname"> & Partial<Pick<Config, "smtp" | "queue" | "local_domains">>;
}

const caches = new WeakMap<object, CachingDns>();
const connectionChecks = new WeakMap<object, ConnectionChecks>();

/** The checks configuration in force (`[smtp.checks]`, defaults when absent). */
export function checksOf(server: MailAuthServer): SmtpChecksConfig {
  return server.config.smtp?.checks ?? defaultChecks();
}

/** The server's DNS cache for inbound checks: created on first use, then the same one. */
export function inboundDns(server: MailAuthServer): CachingDns {
  let c = caches.get(server);
  if (!c) {
    // The same source as outbound routing (core/queue/start.ts): static records when configured.
    const records = server.config.queue?.static_dns;
    const dns = records && records.length > 0 ? new StaticDnsResolver(records) : new NodeDnsResolver();
    c = new CachingDns(dns, server.clock, checksOf(server).dns_cache_ttl);
    caches.set(server, c);
  }
  return c;
}

/** The pre-commit stages of inbound mail: message authentication. */
export function inboundStages(server: MailAuthServer): InboundStage[] {
  const checks = checksOf(server);
  return [
    mailAuthStage({
      hostname: server.config.hostname,
      checks,
      dns: inboundDns(server),
      log: server.log.with({ component: "mailauth" }),
      clock: server.clock,
      dkimKeys: server.store.dkimKeys,
      trusted: new CidrList(server.config.smtp?.relay_networks ?? []),
      onDmarc: checks.dmarc_reports ? dmarcRecorder(server.store, server.clock) : undefined,
    }),
  ];
}

/** The server's connection checks (one greylist per server): created on first use. */
export function connectionChecksOf(server: MailAuthServer): ConnectionChecks {
  let c = connectionChecks.get(server);
  if (!c) {
    const names = [server.config.hostname, ...(server.config.local_domains ?? [])];
    c = new ConnectionChecks(
      checksOf(server),
      inboundDns(server),
      server.log.with({ component: "smtp-checks" }),
      server.clock,
      names,
    );
    connectionChecks.set(server, c);
  }
  return c;
}

/** The post-delivery hooks of mail authentication: received DMARC aggregate reports are kept. */
export function inboundHooks(server: MailAuthServer): PostDeliveryHook[] {
  return [dmarcReportHook(server.store, server.clock, server.log.with({ component: "mailauth" }))];
}

/** Starts the daily DMARC aggregate reports when `[smtp.checks] dmarc_reports` is on; else null. */
export function startDmarcReporting(server: MailAuthServer): ReportJob | null {
  const checks = checksOf(server);
  if (!checks.dmarc_reports) return null;
  const hostname = server.config.hostname;
  return startDmarcReports({
    store: server.store,
    clock: server.clock,
    log: server.log.with({ component: "dmarc-reports" }),
    dns: inboundDns(server),
    outbound: server.outbound,
    hostname,
    from: checks.dmarc_report_from ?? `postmaster@${hostname}`,
  });
}
