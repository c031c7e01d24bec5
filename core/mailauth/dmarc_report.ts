/**
 * DMARC aggregate reports we send (RFC 7489 §7.2): each DMARC evaluation is counted in
 * `Store.dmarc` per policy domain, UTC day and row; once a day is over, the day's counts become
 * the RFC's XML (Appendix C), gzipped (§7.2.1.1), mailed to each `rua` address through the outbound
 * queue, and forgotten. A `rua` outside the policy domain is used only when that domain agrees
 * (§7.1: `<policy-domain>._report._dmarc.<rua-domain>` publishes "v=DMARC1").
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type { OutboundQueue } from "../delivery/outbound.ts";
import type { Logger } from "../log/logger.ts";
import { composeMessage, formatDate, generateMessageId } from "../mime/compose.ts";
import type { Store } from "../store/store.ts";
import type { DmarcCountedRow, DmarcPublished, DmarcRow } from "../store/records/dmarc.ts";
import { DnsTemporaryError } from "../dns/resolver.ts";
import type { CachingDns } from "../dns/cached_resolver.ts";
import type { Disposition } from "./stage.ts";
import type { AuthOutcome } from "./verify.ts";

/** Once an hour the job looks for finished days. */
export const REPORT_INTERVAL_MS = 3600 * 1000;
/** Largest report sent (compressed bytes); bigger days are cut to the rows that fit. */
const MAX_ROWS = 10_000;

/** "YYYY-MM-DD" of `d` in UTC. */
export function utcDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** The report row an evaluation counts as (RFC 7489 Appendix C `RecordType`). */
export function rowOf(
  outcome: AuthOutcome,
  ip: string,
  disposition: Disposition,
  nullSender: boolean,
): DmarcRow {
  const d = outcome.dmarc!;
  return {
    sourceIp: ip,
    headerFrom: d.domain,
    disposition,
    dkim: d.dkimAligned ? "pass" : "fail",
    spf: d.spfAligned ? "pass" : "fail",
    ...(outcome.overridden ? { override: outcome.overridden } : {}),
    envelopeFrom: outcome.spfDomain,
    dkimResults: outcome.dkim.map((k) => ({ domain: k.domain, selector: k.selector, result: k.result })),
    spfResult: { domain: outcome.spfDomain, scope: nullSender ? "helo" : "mfrom", result: outcome.spf },
  };
}

/** The stage's `onDmarc`: counts each evaluation for the day's aggregate report. */
export function dmarcRecorder(store: Store, clock: Clock) {
  return async (
    outcome: AuthOutcome,
    ip: string,
    disposition: Disposition,
    nullSender = false,
  ): Promise<void> => {
    const d = outcome.dmarc;
    // Only domains that ask for reports (rua=) are counted: the rest would never be sent.
    if (!d || !d.record.domain || d.record.rua.length === 0 || d.result === "none") return;
    await store.dmarc.record(utcDay(clock.now()), d.record, rowOf(outcome, ip, disposition, nullSender));
  };
}

function esc(s: string): string {
  return s.replace(
    /[<>&'"]/g,
    (c) => `&${{ "<": "lt", ">": "gt", "&": "amp", "'": "apos", '"': "quot" }[c]};`,
  );
}

/** DKIM results allowed in a report (Appendix C `DKIMResultType`). */
const DKIM_RESULTS = new Set(["none", "pass", "fail", "policy", "neutral", "temperror", "permerror"]);
/** SPF results allowed in a report (Appendix C `SPFResultType`). */
const SPF_RESULTS = new Set(["none", "neutral", "pass", "fail", "softfail", "temperror", "permerror"]);

/** What identifies a report. */
export interface ReportMeta {
  orgName: string;
  email: string;
  reportId: string;
  begin: Date;
  end: Date;
}

/** The aggregate report XML (RFC 7489 Appendix C). */
export function aggregateXml(meta: ReportMeta, published: DmarcPublished, rows: DmarcCountedRow[]): string {
  const t = (n: string, v: string | number) => `<${n}>${esc(String(v))}</${n}>`;
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    "<feedback>",
    "  <report_metadata>",
    `    ${t("org_name", meta.orgName)}`,
    `    ${t("email", meta.email)}`,
    `    ${t("report_id", meta.reportId)}`,
    "    <date_range>" + t("begin", Math.floor(meta.begin.getTime() / 1000)) +
    t("end", Math.floor(meta.end.getTime() / 1000)) + "</date_range>",
    "  </report_metadata>",
    "  <policy_published>",
    `    ${t("domain", published.domain)}${t("adkim", published.adkim)}${t("aspf", published.aspf)}` +
    `${t("p", published.p)}${t("sp", published.sp)}${t("pct", published.pct)}`,
    "  </policy_published>",
  ];
  for (const r of rows) {
    out.push("  <record>");
    out.push("    <row>");
    out.push(`      ${t("source_ip", r.sourceIp)}${t("count", r.count)}`);
    out.push(
      "      <policy_evaluated>" + t("disposition", r.disposition) + t("dkim", r.dkim) + t("spf", r.spf) +
        (r.override ? `<reason>${t("type", r.override)}</reason>` : "") + "</policy_evaluated>",
    );
    out.push("    </row>");
    out.push(
      `    <identifiers>${t("header_from", r.headerFrom)}` +
        (r.envelopeFrom ? t("envelope_from", r.envelopeFrom) : "") + "</identifiers>",
    );
    out.push("    <auth_results>");
    for (const k of r.dkimResults) {
      const result = DKIM_RESULTS.has(k.result) ? k.result : "neutral";
      out.push(
        `      <dkim>${t("domain", k.domain)}${k.selector ? t("selector", k.selector) : ""}${
          t("result", result)
        }</dkim>`,
      );
    }
    const spf = SPF_RESULTS.has(r.spfResult.result) ? r.spfResult.result : "none";
    out.push(
      `      <spf>${t("domain", r.spfResult.domain)}${t("scope", r.spfResult.scope)}${
        t("result", spf)
      }</spf>`,
    );
    out.push("    </auth_results>");
    out.push("  </record>");
  }
  out.push("</feedback>", "");
  return out.join("\r\n");
}

/** gzip of `data` (RFC 1952). */
export async function gzip(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as BlobPart]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The report mail (RFC 7489 §7.2.1.1): subject, file name and a gzip attachment. */
export function reportMessage(
  meta: ReportMeta,
  domain: string,
  from: string,
  to: string,
  gz: Uint8Array,
  hostname: string,
  now: Date,
): Uint8Array {
  const b = Math.floor(meta.begin.getTime() / 1000);
  const e = Math.floor(meta.end.getTime() / 1000);
  // §7.2.1.1: filename = receiver "!" policy-domain "!" begin-timestamp "!" end-timestamp [ "!" unique-id ].
  const filename = `${meta.orgName}!${domain}!${b}!${e}!${meta.reportId}.xml.gz`;
  return composeMessage({
    headers: [
      { name: "From", value: from },
      { name: "To", value: to },
      {
        name: "Subject",
        value: `Report Domain: ${domain} Submitter: ${meta.orgName} Report-ID: <${meta.reportId}>`,
      },
      { name: "Date", value: formatDate(now) },
      { name: "Message-ID", value: `<${generateMessageId(hostname)}>` },
    ],
    body: {
      kind: "multipart",
      subtype: "mixed",
      parts: [
        {
          kind: "leaf",
          type: "text/plain",
          content: `DMARC aggregate report for ${domain} from ${meta.orgName}.\r\n`,
        },
        { kind: "leaf", type: "application/gzip", content: gz, disposition: "attachment", name: filename },
      ],
    },
  });
}

/** What the reporter needs. */
export interface ReporterServices {
  store: Store;
  clock: Clock;
  log: Logger;
  dns: CachingDns;
  outbound?: OutboundQueue;
  hostname: string;
  /** Sender address of reports. */
  from: string;
}

/**
 * RFC 7489 §7.1: may reports about `policyDomain` go to `ruaDomain`? Yes within the same
 * organizational domain (a suffix match either way), else only when the rua domain publishes
 * `<policyDomain>._report._dmarc.<ruaDomain>` with "v=DMARC1".
 */
export async function mayReportTo(
  dns: CachingDns,
  policyDomain: string,
  ruaDomain: string,
): Promise<boolean> {
  const p = policyDomain.toLowerCase();
  const r = ruaDomain.toLowerCase();
  if (p === r || p.endsWith(`.${r}`) || r.endsWith(`.${p}`)) return true;
  try {
    const txt = (await dns.lookup("TXT", `${p}._report._dmarc.${r}`)) as string[];
    return txt.some((t) => /^v\s*=\s*DMARC1\s*(;|$)/i.test(t.trim()));
  } catch (e) {
    if (e instanceof DnsTemporaryError) return false;
    throw e;
  }
}

/** Sends the reports of every finished day; returns how many messages were queued. */
export async function sendDueReports(svc: ReporterServices): Promise<number> {
  const now = svc.clock.now();
  let sent = 0;
  for (const { domain, day } of await svc.store.dmarc.due(utcDay(now))) {
    const agg = await svc.store.dmarc.aggregate(domain, day);
    if (!agg) continue;
    const begin = new Date(`${day}T00:00:00Z`);
    const meta: ReportMeta = {
      orgName: svc.hostname,
      email: svc.from,
      reportId: `${day.replaceAll("-", "")}.${domain}.${crypto.randomUUID().slice(0, 8)}`,
      begin,
      end: new Date(begin.getTime() + 86_400_000 - 1000),
    };
    const targets: string[] = [];
    for (const uri of agg.published.rua) {
      // RFC 7489 §6.2: mailto URI, optionally with a size limit "!10m" (ignored: reports are small).
      const addr = decodeURIComponent(uri.replace(/^mailto:/i, "").replace(/!.*$/, "")).trim();
      const at = addr.lastIndexOf("@");
      if (at <= 0) continue;
      if (await mayReportTo(svc.dns, domain, addr.slice(at + 1))) targets.push(addr);
      else {svc.log.info("dmarc report destination not authorized", {
          domain,
          rua_domain: addr.slice(at + 1),
        });}
    }
    if (targets.length > 0 && !svc.outbound) {
      svc.log.warn("dmarc reports not sent: no outbound queue", { domain, day });
      continue;
    }
    if (targets.length > 0) {
      const xml = aggregateXml(meta, agg.published, agg.rows.slice(0, MAX_ROWS));
      const gz = await gzip(new TextEncoder().encode(xml));
      for (const to of targets) {
        const raw = reportMessage(meta, domain, svc.from, to, gz, svc.hostname, now);
        const blob = await svc.store.blobs.put(raw);
        // The report's own sender as reverse-path, so our SPF and DKIM align for the receiver.
        await svc.outbound!.enqueue(
          {
            from: svc.from,
            recipients: [{ address: to }],
            smtputf8: false,
            body: "7BIT",
            sessionId: `dmarc-report-${meta.reportId}`,
          },
          blob,
        );
        sent++;
      }
      svc.log.info("dmarc aggregate report queued", {
        domain,
        day,
        recipients: targets.length,
        rows: agg.rows.length,
      });
    }
    await svc.store.dmarc.clear(domain, day);
  }
  return sent;
}

/** The running report job. */
export interface ReportJob {
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts the hourly job (the runtime stops it before closing the store). */
export function startDmarcReports(svc: ReporterServices, intervalMs = REPORT_INTERVAL_MS): ReportJob {
  let running: Promise<number> | null = null;
  const runOnce = (): Promise<number> => {
    running ??= sendDueReports(svc).catch((e) => {
      svc.log.error("dmarc report pass failed", { error: e instanceof Error ? e.message : String(e) });
      return 0;
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
