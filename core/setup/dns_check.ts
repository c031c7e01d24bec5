/**
 * `tern dns check`: compares the records a domain should publish (dns_records.ts) with what the
 * resolver answers. Every lookup goes through the `DnsResolver` interface, so tests answer from
 * static records.
 *
 * @module
 */
import type { DnsResolver } from "../dns/resolver.ts";
import type { DnsRecord } from "./dns_records.ts";

/** The verdict on one record. */
export type CheckStatus = "ok" | "missing" | "mismatch" | "error";

/** One checked record. */
export interface RecordCheck {
  record: DnsRecord;
  status: CheckStatus;
  /** What was found, or why it is wrong. */
  detail: string;
}

const lower = (s: string) => s.toLowerCase().replace(/\.$/, "");

/** TXT records of `name` whose first tag is `v=<version>` (case-insensitive, RFC 7208 §4.5 / RFC 7489 §6.4). */
async function versioned(dns: DnsResolver, name: string, version: string): Promise<string[]> {
  const re = new RegExp(`^v=${version}(;|\\s|$)`, "i");
  return (await dns.txt(name)).filter((t) => re.test(t.trim()));
}

function tag(record: string, name: string): string | undefined {
  for (const part of record.split(";")) {
    const [k, ...v] = part.split("=");
    if (k?.trim().toLowerCase() === name) return v.join("=").trim();
  }
  return undefined;
}

async function checkOne(
  dns: DnsResolver,
  r: DnsRecord,
  hostname: string,
): Promise<Omit<RecordCheck, "record">> {
  switch (r.type) {
    case "MX": {
      const mx = await dns.mx(r.name);
      if (mx.length === 0) return { status: "missing", detail: "no MX records" };
      const found = mx.map((m) => `${m.preference} ${m.exchange}`).join(", ");
      return mx.some((m) => lower(m.exchange) === lower(hostname))
        ? { status: "ok", detail: found }
        : { status: "mismatch", detail: `MX points elsewhere: ${found}` };
    }
    case "A":
    case "AAAA": {
      const addrs = (await dns.addresses(r.name)).map((a) => a.replace(/:\d+$/, ""));
      // An empty value asks only that the host has an address of that family.
      if (r.value === "" ? addrs.length > 0 : addrs.includes(r.value)) {
        return { status: "ok", detail: addrs.join(", ") };
      }
      return addrs.length === 0
        ? { status: "missing", detail: "no address records" }
        : { status: "mismatch", detail: `resolves to ${addrs.join(", ")}` };
    }
    case "TXT":
      return await checkTxt(dns, r);
    case "CNAME": {
      const target = lower(r.value);
      const cnames = (await dns.cname(r.name)).map(lower);
      if (cnames.includes(target)) return { status: "ok", detail: `CNAME ${target}` };
      if (cnames.length > 0) return { status: "mismatch", detail: `CNAME ${cnames.join(", ")}` };
      // Address records pointing at the same host serve as well as a CNAME.
      const [mine, theirs] = await Promise.all([dns.addresses(target), dns.addresses(r.name)]);
      if (theirs.length > 0 && theirs.every((a) => mine.includes(a))) {
        return { status: "ok", detail: `same addresses as ${target}` };
      }
      return theirs.length === 0
        ? { status: "missing", detail: "no CNAME or address records" }
        : { status: "mismatch", detail: `resolves to ${theirs.join(", ")}, not ${target}` };
    }
    case "SRV": {
      const [, , port, target] = r.value.split(/\s+/);
      const srv = await dns.srv(r.name);
      if (srv.length === 0) return { status: "missing", detail: "no SRV records" };
      const found = srv.map((s) => `${s.priority} ${s.weight} ${s.port} ${s.target}`).join(", ");
      return srv.some((s) => String(s.port) === port && lower(s.target) === lower(target ?? ""))
        ? { status: "ok", detail: found }
        : { status: "mismatch", detail: found };
    }
  }
}

async function checkTxt(dns: DnsResolver, r: DnsRecord): Promise<Omit<RecordCheck, "record">> {
  const version = { spf: "spf1", dkim: "DKIM1", dmarc: "DMARC1", "mta-sts": "STSv1", "tls-rpt": "TLSRPTv1" }[
    r.purpose as "spf" | "dkim" | "dmarc" | "mta-sts" | "tls-rpt"
  ];
  if (!version) return { status: "error", detail: `no check for ${r.purpose} TXT records` };
  const found = r.purpose === "dkim"
    // RFC 6376 §3.6.1: v= is optional in a key record.
    ? (await dns.txt(r.name)).filter((t) => /(^|;)\s*p=/.test(t))
    : await versioned(dns, r.name, version);
  if (found.length === 0) return { status: "missing", detail: `no v=${version} record` };
  // RFC 7208 §4.5 and RFC 7489 §6.6.3: more than one record of the kind is an error at the receiver.
  if (found.length > 1) return { status: "mismatch", detail: `${found.length} records; publish exactly one` };
  const value = found[0]!;
  switch (r.purpose) {
    case "dkim": {
      const want = tag(r.value, "p");
      const have = tag(value, "p")?.replace(/\s+/g, "");
      return have === want
        ? { status: "ok", detail: "public key matches" }
        : { status: "mismatch", detail: "the published key is not this server's key" };
    }
    case "dmarc":
      return tag(value, "p")
        ? { status: "ok", detail: value }
        : { status: "mismatch", detail: `no p= tag: ${value}` };
    case "mta-sts":
      return tag(value, "id")
        ? { status: "ok", detail: value }
        : { status: "mismatch", detail: `no id= tag: ${value}` };
    case "tls-rpt":
      return tag(value, "rua")
        ? { status: "ok", detail: value }
        : { status: "mismatch", detail: `no rua= tag: ${value}` };
    default: {
      // SPF: the record must end in an "all" mechanism so unlisted senders fail (RFC 7208 §5.1).
      return /\s[-~?+]?all\s*$/i.test(value) || /\sredirect=/i.test(value)
        ? { status: "ok", detail: value }
        : { status: "mismatch", detail: `no final "all": ${value}` };
    }
  }
}

/** Checks every record; lookups that fail temporarily give status "error" for that record only. */
export async function checkRecords(
  dns: DnsResolver,
  records: DnsRecord[],
  hostname: string,
): Promise<RecordCheck[]> {
  return await Promise.all(records.map(async (record) => {
    try {
      return { record, ...(await checkOne(dns, record, hostname)) };
    } catch (e) {
      return { record, status: "error" as const, detail: (e as Error).message };
    }
  }));
}

/** True when every required record is published correctly. */
export function allRequiredOk(checks: RecordCheck[]): boolean {
  return checks.every((c) => !c.record.required || c.status === "ok");
}
