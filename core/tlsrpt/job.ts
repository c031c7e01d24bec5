/**
 * The daily TLS-RPT reports we send (RFC 8460 §5): once a UTC day is over, each policy domain's
 * counts become the §4.4 JSON report, gzipped, and go to every `rua` of the domain's
 * `_smtp._tls` TXT record (§3): mailto: through the outbound queue (§5.3), https: as a POST of
 * `application/tlsrpt+gzip` through the SSRF-guarded HTTP client (§5.4). Then the day is forgotten.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type { OutboundQueue } from "../delivery/outbound.ts";
import { type DnsResolver, DnsTemporaryError } from "../dns/resolver.ts";
import type { Logger } from "../log/logger.ts";
import type { OutboundHttpClient } from "../net/outbound_http.ts";
import type { Store } from "../store/store.ts";
import { utcDay } from "./recorder.ts";
import { buildReport, gzip, parseTlsRptRecord, reportMessage, type TlsReportMeta } from "./report.ts";

/** Once an hour the job looks for finished days. */
export const TLSRPT_INTERVAL_MS = 3600 * 1000;

/** What the reporter needs. */
export interface TlsReporterServices {
  store: Store;
  clock: Clock;
  log: Logger;
  dns: DnsResolver;
  /** For mailto: destinations; without it they are skipped. */
  outbound?: OutboundQueue;
  /** For https: destinations; without it they are skipped. */
  http?: OutboundHttpClient;
  /** Our host name: the report's organization-name and submitter. */
  hostname: string;
  /** Sender address of report mail and the report's contact-info. */
  from: string;
}

/** What one pass did. */
export interface TlsReportPass {
  /** Report mails queued. */
  mailed: number;
  /** HTTPS reports accepted (2xx). */
  posted: number;
}

/** Sends the reports of every finished day. */
export async function sendDueTlsReports(svc: TlsReporterServices): Promise<TlsReportPass> {
  const now = svc.clock.now();
  const pass: TlsReportPass = { mailed: 0, posted: 0 };
  for (const { domain, day } of await svc.store.tlsrpt.due(utcDay(now))) {
    const counts = await svc.store.tlsrpt.counts(domain, day);
    let rua: string[] | null;
    try {
      rua = parseTlsRptRecord(await svc.dns.txt(`_smtp._tls.${domain}`));
    } catch (e) {
      // A temporary DNS failure: the day is kept for the next pass.
      if (e instanceof DnsTemporaryError) continue;
      throw e;
    }
    if (rua !== null && counts.length > 0) {
      const begin = new Date(`${day}T00:00:00Z`);
      const meta: TlsReportMeta = {
        organizationName: svc.hostname,
        contactInfo: svc.from,
        reportId: `${day}T00:00:00Z_${domain}_${crypto.randomUUID().slice(0, 8)}`,
        begin,
        end: new Date(begin.getTime() + 86_400_000 - 1000),
      };
      const json = JSON.stringify(buildReport(meta, domain, counts));
      const gz = await gzip(new TextEncoder().encode(json));
      for (const uri of rua) {
        try {
          if (/^mailto:/i.test(uri)) {
            if (await mail(svc, meta, domain, uri, gz, now)) pass.mailed++;
          } else if (await post(svc, uri, gz)) pass.posted++;
        } catch (e) {
          svc.log.warn("tls report not sent", {
            domain,
            day,
            scheme: uri.split(":")[0],
            error: (e as Error).message,
          });
        }
      }
      svc.log.info("tls report sent", { domain, day, destinations: rua.length });
    }
    await svc.store.tlsrpt.clear(domain, day);
  }
  return pass;
}

async function mail(
  svc: TlsReporterServices,
  meta: TlsReportMeta,
  domain: string,
  uri: string,
  gz: Uint8Array,
  now: Date,
): Promise<boolean> {
  if (!svc.outbound) return false;
  const to = decodeURIComponent(uri.slice("mailto:".length).replace(/\?.*$/, "")).trim();
  if (!/^[^@\s]+@[^@\s]+$/.test(to)) return false;
  const raw = reportMessage(meta, domain, svc.from, to, gz, now);
  const blob = await svc.store.blobs.put(raw);
  await svc.outbound.enqueue(
    {
      from: svc.from,
      recipients: [{ address: to }],
      smtputf8: false,
      body: "7BIT",
      sessionId: `tls-report-${meta.reportId}`,
    },
    blob,
  );
  return true;
}

async function post(svc: TlsReporterServices, uri: string, gz: Uint8Array): Promise<boolean> {
  if (!svc.http) return false;
  // RFC 8460 §5.4: POST of the gzipped report as application/tlsrpt+gzip; 2xx is success.
  const res = await svc.http.request({
    url: uri,
    method: "POST",
    headers: { "content-type": "application/tlsrpt+gzip" },
    body: gz,
  });
  if (res.status >= 200 && res.status < 300) return true;
  svc.log.warn("tls report refused", { status: res.status });
  return false;
}

/** The running report job. */
export interface TlsReportJob {
  runOnce(): Promise<TlsReportPass>;
  stop(): Promise<void>;
}

/** Starts the hourly job (the runtime stops it before closing the store). */
export function startTlsReports(svc: TlsReporterServices, intervalMs = TLSRPT_INTERVAL_MS): TlsReportJob {
  let running: Promise<TlsReportPass> | null = null;
  const runOnce = (): Promise<TlsReportPass> => {
    running ??= sendDueTlsReports(svc).catch((e) => {
      svc.log.error("tls report pass failed", { error: e instanceof Error ? e.message : String(e) });
      return { mailed: 0, posted: 0 };
    }).finally(() => (running = null));
    return running;
  };
  const timer = setInterval(() => void runOnce(), intervalMs);
  Deno.unrefTimer(timer);
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
