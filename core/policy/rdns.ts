/**
 * Reverse DNS of an SMTP client: its PTR names and whether one of them resolves back to the
 * address (forward-confirmed reverse DNS, "FCrDNS", as RFC 8601 §2.7.3 `iprev` defines it). Every
 * lookup goes through the inbound DNS cache (core/dns/cached_resolver.ts).
 *
 * @module
 */
import ipaddr from "ipaddr.js";
import { DnsTemporaryError } from "../dns/resolver.ts";
import type { CachingDns } from "../dns/cached_resolver.ts";

/** PTR names checked forward at most (RFC 8601 §3 iprev: a bounded number). */
const MAX_NAMES = 10;

/** The outcome of a reverse-DNS check (RFC 8601 §2.7.3 iprev results). */
export interface ReverseDnsResult {
  /** pass: a PTR name resolves back; fail: none does (or no PTR); temperror: DNS failed. */
  result: "pass" | "fail" | "temperror";
  /** The confirmed name (pass), else the first PTR name, else null. */
  name: string | null;
  /** Why, for the log. */
  reason: string;
}

function same(a: string, b: string): boolean {
  try {
    const x = ipaddr.process(a);
    const y = ipaddr.process(b);
    return x.kind() === y.kind() && x.toNormalizedString() === y.toNormalizedString();
  } catch {
    return false;
  }
}

/** Looks up the PTR names of `ip` and confirms them forward. */
export async function reverseDns(dns: CachingDns, ip: string): Promise<ReverseDnsResult> {
  let names: string[];
  try {
    names = (await dns.lookup("PTR", ip)) as string[];
  } catch (e) {
    if (e instanceof DnsTemporaryError) {
      return { result: "temperror", name: null, reason: "PTR lookup failed" };
    }
    throw e;
  }
  if (names.length === 0) return { result: "fail", name: null, reason: "no PTR record" };
  const v6 = ip.includes(":") && !ipaddr.process(ip).toString().includes(".");
  let temp = false;
  for (const name of names.slice(0, MAX_NAMES)) {
    try {
      const addrs = (await dns.lookup(v6 ? "AAAA" : "A", name)) as string[];
      if (addrs.some((a) => same(a, ip))) return { result: "pass", name, reason: "forward-confirmed" };
    } catch (e) {
      if (!(e instanceof DnsTemporaryError)) throw e;
      temp = true;
    }
  }
  if (temp) return { result: "temperror", name: names[0]!, reason: "forward lookup failed" };
  return { result: "fail", name: names[0]!, reason: `PTR ${names[0]} does not resolve back to ${ip}` };
}
