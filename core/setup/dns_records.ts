/**
 * The DNS records a mail domain served by Tern publishes, derived from the configuration and the
 * domain's DKIM keys: MX, SPF, DKIM, DMARC, MTA-STS, TLS-RPT, the client autoconfiguration names and
 * the SRV records of RFC 6186 and RFC 8314. Pure: `tern setup` prints them and `tern dns check`
 * compares them with what the resolver answers.
 *
 * @module
 */
import type { Config, ListenerName } from "../config/types.ts";
import { dkimRecordName, dkimRecordValue, txtStrings } from "../dkim/keys.ts";
import type { DkimAlgorithm } from "../store/records/dkim_keys.ts";

/** Record types `tern setup` prints. */
export type RecordType = "MX" | "A" | "AAAA" | "TXT" | "CNAME" | "SRV";

/** What a record is for (the checklist groups by it). */
export type RecordPurpose =
  | "mx"
  | "address"
  | "spf"
  | "dkim"
  | "dmarc"
  | "mta-sts"
  | "tls-rpt"
  | "autoconfig"
  | "srv";

/** One record to publish. */
export interface DnsRecord {
  /** Owner name without the trailing dot. */
  name: string;
  type: RecordType;
  /** RDATA in presentation form without quotes (TXT: the joined string). */
  value: string;
  purpose: RecordPurpose;
  /** Mail is refused or misjudged without it (the rest improves client setup and transport security). */
  required: boolean;
  /** One line saying why, for the checklist. */
  note: string;
}

/** The public key of one DKIM key of the domain. */
export interface DkimPublicKey {
  selector: string;
  algorithm: DkimAlgorithm;
  publicKeyB64: string;
}

/** What the records are made from. */
export interface DomainRecordsInput {
  /** The mail domain (lowercase). */
  domain: string;
  /** The host name of this server (the MX target and the name in the certificates). */
  hostname: string;
  /** The server's public addresses, when known (A and AAAA records for the host name). */
  ipv4?: string[];
  ipv6?: string[];
  dkim: DkimPublicKey[];
  /** Where DMARC aggregate and TLS-RPT reports go (a mailto: address of the domain). */
  reportAddress: string;
  /** The MTA-STS policy id (RFC 8461 §3.1: changes whenever the policy changes). */
  mtaStsId: string;
  /** Listener ports to advertise in SRV records (absent: that service is not advertised). */
  ports: Partial<Record<ListenerName, number>>;
}

/** The enabled listeners' ports, for `DomainRecordsInput.ports`. */
export function listenerPorts(config: Config): Partial<Record<ListenerName, number>> {
  const out: Partial<Record<ListenerName, number>> = {};
  for (
    const [name, l] of Object.entries(config.listeners) as [ListenerName, Config["listeners"][ListenerName]][]
  ) {
    if (l.enabled) out[name] = l.port;
  }
  return out;
}

/** A policy id from a date: `YYYYMMDDhhmmss` (RFC 8461 §3.1 allows 1–32 alphanumerics). */
export function policyId(now: Date): string {
  return now.toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

/** Every record the domain should publish, in the order the checklist shows them. */
export function domainRecords(input: DomainRecordsInput): DnsRecord[] {
  const { domain, hostname } = input;
  const out: DnsRecord[] = [];
  const add = (r: DnsRecord) => out.push(r);
  // RFC 5321 §5.1: the MX names the host that accepts mail for the domain.
  add({
    name: domain,
    type: "MX",
    value: `10 ${hostname}.`,
    purpose: "mx",
    required: true,
    note: "where other servers deliver mail for the domain",
  });
  for (const ip of input.ipv4 ?? []) {
    add({
      name: hostname,
      type: "A",
      value: ip,
      purpose: "address",
      required: true,
      note: "the mail host's IPv4 address",
    });
  }
  for (const ip of input.ipv6 ?? []) {
    add({
      name: hostname,
      type: "AAAA",
      value: ip,
      purpose: "address",
      required: true,
      note: "the mail host's IPv6 address",
    });
  }
  // RFC 7208 §3: one SPF record per name; the domain's mail leaves through its MX hosts.
  add({
    name: domain,
    type: "TXT",
    value: "v=spf1 mx -all",
    purpose: "spf",
    required: true,
    note: "only the MX hosts send mail for the domain (SPF)",
  });
  // RFC 7208 §2.3: the HELO identity gets its own record.
  add({
    name: hostname,
    type: "TXT",
    value: "v=spf1 a -all",
    purpose: "spf",
    required: false,
    note: "SPF for the host name used in HELO/EHLO",
  });
  for (const k of input.dkim) {
    add({
      name: dkimRecordName(k.selector, domain),
      type: "TXT",
      value: dkimRecordValue(k),
      purpose: "dkim",
      required: true,
      note: `DKIM public key (${k.algorithm}, selector ${k.selector})`,
    });
  }
  // RFC 7489 §6.3: policy and the aggregate report address.
  add({
    name: `_dmarc.${domain}`,
    type: "TXT",
    value: `v=DMARC1; p=quarantine; adkim=s; aspf=s; rua=mailto:${input.reportAddress}`,
    purpose: "dmarc",
    required: true,
    note: "DMARC policy: mail failing SPF and DKIM alignment goes to junk; daily reports to the postmaster",
  });
  // RFC 8461 §3.1 and §3.2: the policy TXT record and the HTTPS host serving the policy file.
  add({
    name: `_mta-sts.${domain}`,
    type: "TXT",
    value: `v=STSv1; id=${input.mtaStsId}`,
    purpose: "mta-sts",
    required: false,
    note: "MTA-STS: senders must use TLS to reach the MX",
  });
  add({
    name: `mta-sts.${domain}`,
    type: "CNAME",
    value: `${hostname}.`,
    purpose: "mta-sts",
    required: false,
    note: "serves https://mta-sts.<domain>/.well-known/mta-sts.txt",
  });
  // RFC 8460 §3: where TLS reports go.
  add({
    name: `_smtp._tls.${domain}`,
    type: "TXT",
    value: `v=TLSRPTv1; rua=mailto:${input.reportAddress}`,
    purpose: "tls-rpt",
    required: false,
    note: "SMTP TLS reports (TLS-RPT)",
  });
  for (const sub of ["autoconfig", "autodiscover"]) {
    add({
      name: `${sub}.${domain}`,
      type: "CNAME",
      value: `${hostname}.`,
      purpose: "autoconfig",
      required: false,
      note: sub === "autoconfig" ? "Thunderbird autoconfiguration" : "Outlook autodiscover",
    });
  }
  // RFC 6186 §3 and RFC 8314 §5.1: implicit TLS is preferred (lower priority value) over STARTTLS;
  // RFC 8620 §2.2 for JMAP.
  const srv: [string, ListenerName, number][] = [
    ["_submissions._tcp", "submissions", 0],
    ["_submission._tcp", "submission", 10],
    ["_imaps._tcp", "imaps", 0],
    ["_imap._tcp", "imap", 10],
    ["_pop3s._tcp", "pop3s", 20],
    ["_pop3._tcp", "pop3", 30],
    ["_jmap._tcp", "http", 0],
    // RFC 5804 §1.8: ManageSieve.
    ["_sieve._tcp", "managesieve", 0],
  ];
  for (const [label, listener, priority] of srv) {
    const port = input.ports[listener];
    if (port === undefined) continue;
    add({
      name: `${label}.${domain}`,
      type: "SRV",
      value: `${priority} 1 ${port} ${hostname}.`,
      purpose: "srv",
      required: false,
      note: `clients find ${listener} on port ${port}`,
    });
  }
  return out;
}

/** TXT RDATA in zone-file form: its character-strings, in parentheses when there are several. */
function quoteTxt(value: string): string {
  const parts = txtStrings(value);
  return parts.length > 1 ? `( ${parts.join(" ")} )` : parts[0]!;
}

/** The records in zone-file form (RFC 1035 §5), one per line, absolute names. */
export function zoneFile(records: DnsRecord[], ttl = 3600): string {
  const width = Math.max(...records.map((r) => r.name.length + 1));
  return records.map((r) =>
    `${(r.name + ".").padEnd(width)} ${ttl} IN ${r.type.padEnd(5)} ${
      r.type === "TXT" ? quoteTxt(r.value) : r.value
    }`
  ).join("\n") + "\n";
}

/** The records as a checklist: one line each with what it is for. */
export function checklist(records: DnsRecord[]): string {
  return records.map((r) =>
    `[ ] ${r.required ? "required" : "optional"}  ${r.type.padEnd(5)} ${r.name}\n      ${r.note}`
  ).join("\n") + "\n";
}

/** The MTA-STS policy file served at `https://mta-sts.<domain>/.well-known/mta-sts.txt` (RFC 8461 §3.2). */
export function mtaStsPolicy(
  opts: { mode: "enforce" | "testing" | "none"; mx: string[]; maxAge: number },
): string {
  return [
    "version: STSv1",
    `mode: ${opts.mode}`,
    ...opts.mx.map((m) => `mx: ${m}`),
    `max_age: ${opts.maxAge}`,
  ].join("\r\n") + "\r\n";
}
