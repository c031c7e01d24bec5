/**
 * DNS blocklists and allowlists (RFC 5782): the client address, reversed (IPv4 octets, IPv6
 * nibbles), is looked up as an A record under each configured zone; an answer in 127.0.0.0/8 is a
 * listing (RFC 5782 §2.1), restricted to the zone's configured return codes when it has some.
 * 127.255.255.0/24 answers are the operators' error codes (e.g. "query refused"), never a listing.
 *
 * @module
 */
import ipaddr from "ipaddr.js";
import { DnsTemporaryError } from "../dns/resolver.ts";
import type { DnsListZone } from "../config/types.ts";
import type { CachingDns } from "../dns/cached_resolver.ts";

/** The query name of `ip` in `zone` (RFC 5782 §2.1 IPv4, §2.4 IPv6), or null for a bad address. */
export function dnsListName(ip: string, zone: string): string | null {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.process(ip);
  } catch {
    return null;
  }
  if (addr.kind() === "ipv4") return `${[...addr.toByteArray()].reverse().join(".")}.${zone}`;
  const hex = addr.toByteArray().map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${[...hex].reverse().join(".")}.${zone}`;
}

/** A zone's verdict on one address. */
export interface DnsListHit {
  zone: string;
  /** The listing's answer codes. */
  codes: string[];
}

/** True when `answer` counts as a listing for `zone`. */
export function isListing(zone: DnsListZone, answer: string): boolean {
  if (zone.codes && zone.codes.length > 0) return zone.codes.includes(answer);
  return /^127\./.test(answer) && !/^127\.255\.255\./.test(answer);
}

/**
 * The first zone listing `ip`, or null. A zone that fails to answer (temporary DNS error) is
 * skipped: a broken list must not block mail.
 */
export async function dnsListLookup(
  dns: CachingDns,
  ip: string,
  zones: DnsListZone[],
): Promise<DnsListHit | null> {
  for (const zone of zones) {
    const name = dnsListName(ip, zone.zone);
    if (name === null) return null;
    let answers: string[];
    try {
      answers = (await dns.lookup("A", name)) as string[];
    } catch (e) {
      if (e instanceof DnsTemporaryError) continue;
      throw e;
    }
    const codes = answers.filter((a) => isListing(zone, a));
    if (codes.length > 0) return { zone: zone.zone, codes };
  }
  return null;
}
