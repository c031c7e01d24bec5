/**
 * TLS-RPT (RFC 8460) as pure functions: the `_smtp._tls` TXT record (§3), the aggregate report
 * JSON (§4) built from a day's counts, its gzip file name (§5.3) and the report mail (§5.3).
 *
 * @module
 */
import type { TlsRptCount } from "../store/records/tlsrpt.ts";
import { composeMessage, formatDate, generateMessageId } from "../mime/compose.ts";

/**
 * The `rua` URIs of the `_smtp._tls` TXT records of a domain, or null when the domain has no
 * valid record. RFC 8460 §3: records not starting with `v=TLSRPTv1` are discarded; unless exactly
 * one remains there is no policy; `rua` is a comma-separated list of mailto: and https: URIs.
 */
export function parseTlsRptRecord(txts: string[]): string[] | null {
  const records = txts.filter((t) => /^v=TLSRPTv1\s*(;|$)/.test(t.trim()));
  if (records.length !== 1) return null;
  for (const field of records[0]!.split(";").slice(1)) {
    const m = /^\s*rua\s*=\s*(.*?)\s*$/.exec(field);
    if (!m) continue;
    const uris = m[1]!.split(",").map((u) => u.trim()).filter((u) => /^(mailto:|https:)/i.test(u));
    return uris.length > 0 ? uris : null;
  }
  return null;
}

/** What identifies a report (RFC 8460 §4.4). */
export interface TlsReportMeta {
  organizationName: string;
  contactInfo: string;
  reportId: string;
  /** Start of the UTC day reported. */
  begin: Date;
  /** Its last second. */
  end: Date;
}

function iso(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

interface PolicyEntry {
  policy: {
    "policy-type": string;
    "policy-string": string[];
    "policy-domain": string;
    "mx-host": string[];
  };
  summary: { "total-successful-session-count": number; "total-failure-session-count": number };
  "failure-details": {
    "result-type": string;
    "receiving-mx-hostname"?: string;
    "receiving-ip"?: string;
    "failed-session-count": number;
    "failure-reason-code"?: string;
  }[];
}

/** RFC 8460 §4.4 report (the JSON object, before serialization). */
export interface TlsReport {
  "organization-name": string;
  "date-range": { "start-datetime": string; "end-datetime": string };
  "contact-info": string;
  "report-id": string;
  policies: PolicyEntry[];
}

/**
 * The report of one policy domain's day (RFC 8460 §4.4): one `policies` entry per policy applied
 * (type and policy strings); `mx-host` the policy's `mx` patterns for MTA-STS (§4.4), else the
 * hosts tried; a summary of successful and failed sessions and the failures by type and host.
 */
export function buildReport(meta: TlsReportMeta, domain: string, counts: TlsRptCount[]): TlsReport {
  const groups = new Map<string, TlsRptCount[]>();
  for (const c of counts) {
    const key = JSON.stringify([c.policyType, c.policyStrings]);
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const policies: PolicyEntry[] = [];
  for (const list of groups.values()) {
    const first = list[0]!;
    const mxHosts = first.policyType === "sts"
      ? first.policyStrings.filter((s) => s.startsWith("mx:")).map((s) => s.slice(3).trim())
      : [...new Set(list.map((c) => c.mxHost))];
    const failures = list.filter((c) => c.result !== null);
    policies.push({
      policy: {
        "policy-type": first.policyType,
        "policy-string": first.policyStrings,
        "policy-domain": domain,
        "mx-host": mxHosts,
      },
      summary: {
        "total-successful-session-count": list.filter((c) => c.result === null).reduce(
          (n, c) => n + c.count,
          0,
        ),
        "total-failure-session-count": failures.reduce((n, c) => n + c.count, 0),
      },
      "failure-details": failures.map((c) => ({
        "result-type": c.result!,
        // Absent for a policy that could not be fetched (no host was tried).
        ...(c.mxHost ? { "receiving-mx-hostname": c.mxHost } : {}),
        ...(c.receivingIp ? { "receiving-ip": c.receivingIp } : {}),
        "failed-session-count": c.count,
        ...(c.reason ? { "failure-reason-code": c.reason.slice(0, 200) } : {}),
      })),
    });
  }
  return {
    "organization-name": meta.organizationName,
    "date-range": { "start-datetime": iso(meta.begin), "end-datetime": iso(meta.end) },
    "contact-info": meta.contactInfo,
    "report-id": meta.reportId,
    policies,
  };
}

/** RFC 8460 §5.3 file name: `submitter!policy-domain!begin!end!id.json.gz` (seconds, UTC). */
export function reportFilename(meta: TlsReportMeta, domain: string): string {
  const b = Math.floor(meta.begin.getTime() / 1000);
  const e = Math.floor(meta.end.getTime() / 1000);
  return `${meta.organizationName}!${domain}!${b}!${e}!${meta.reportId}.json.gz`;
}

/** gzip of `data` (RFC 1952). */
export async function gzip(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data as BlobPart]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * The report mail (RFC 8460 §5.3): `TLS-Report-Domain` and `TLS-Report-Submitter` fields, the
 * subject form of §5.3, a `multipart/report; report-type="tlsrpt"` body with a text part and the
 * `application/tlsrpt+gzip` report.
 */
export function reportMessage(
  meta: TlsReportMeta,
  domain: string,
  from: string,
  to: string,
  gz: Uint8Array,
  now: Date,
): Uint8Array {
  return composeMessage({
    headers: [
      { name: "From", value: from },
      { name: "To", value: to },
      {
        name: "Subject",
        value: `Report Domain: ${domain} Submitter: ${meta.organizationName} Report-ID: <${meta.reportId}>`,
      },
      { name: "Date", value: formatDate(now) },
      { name: "Message-ID", value: `<${generateMessageId(meta.organizationName)}>` },
      { name: "TLS-Report-Domain", value: domain },
      { name: "TLS-Report-Submitter", value: meta.organizationName },
    ],
    body: {
      kind: "multipart",
      subtype: "report",
      params: { "report-type": "tlsrpt" },
      parts: [
        {
          kind: "leaf",
          type: "text/plain",
          content: `TLS report for ${domain} from ${meta.organizationName}.\r\n`,
        },
        {
          kind: "leaf",
          type: "application/tlsrpt+gzip",
          content: gz,
          disposition: "attachment",
          name: reportFilename(meta, domain),
        },
      ],
    },
  });
}
