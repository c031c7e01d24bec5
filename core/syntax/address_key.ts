/**
 * (core/syntax: pure rules for values found both in the configuration and at run time; nothing
 * here imports another Tern module.)
 *
 * The key a client address is counted under by the failed-login throttle (core/auth/throttle.ts),
 * the connection policy's per-IP limits (core/policy) and the HTTP connection and push-stream
 * counts: IPv4 as is, an IPv4-mapped IPv6 address as its IPv4 address, other IPv6 addresses by
 * their /64 (one host usually holds a whole /64, RFC 4291 §2.5.1).
 *
 * @module
 */
import ipaddr from "ipaddr.js";

/** The key of a client address: IPv4 as is, IPv4-mapped IPv6 as IPv4, other IPv6 by its /64. */
export function addressKey(remoteAddress: string): string {
  if (!ipaddr.isValid(remoteAddress)) return remoteAddress.toLowerCase();
  const addr = ipaddr.process(remoteAddress);
  if (addr.kind() === "ipv4") return addr.toString();
  const parts = (addr as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16));
  return `${parts.join(":")}::/64`;
}
