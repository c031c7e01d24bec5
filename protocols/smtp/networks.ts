/**
 * CIDR lists (`relay_networks`, `blocked_networks`): IPv4 and IPv6, with IPv4-mapped IPv6
 * addresses (`::ffff:192.0.2.1`) matched as IPv4. Pure.
 *
 * @module
 */
import ipaddr from "ipaddr.js";

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** A parsed CIDR list. */
export class NetworkList {
  #ranges: Range[];

  /**
   * @param cidrs entries like `10.0.0.0/8`, `2001:db8::/32` or a single address
   * @throws {SyntaxError} on an unparsable entry
   */
  constructor(cidrs: readonly string[]) {
    this.#ranges = cidrs.map((c) => {
      try {
        if (c.includes("/")) {
          const [addr, bits] = ipaddr.parseCIDR(c);
          return [
            normalize(addr),
            addr.kind() === "ipv6" && normalize(addr).kind() === "ipv4" ? bits - 96 : bits,
          ];
        }
        const addr = normalize(ipaddr.parse(c));
        return [addr, addr.kind() === "ipv4" ? 32 : 128];
      } catch {
        throw new SyntaxError(`Invalid network: "${c}"`);
      }
    });
  }

  /** Number of entries. */
  get size(): number {
    return this.#ranges.length;
  }

  /** True when `ip` is inside one of the networks (false for an unparsable address). */
  contains(ip: string): boolean {
    if (this.#ranges.length === 0) return false;
    let addr: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      addr = normalize(ipaddr.parse(ip.replace(/^\[|\]$/g, "").replace(/%.*$/, "")));
    } catch {
      return false;
    }
    for (const [net, bits] of this.#ranges) {
      if (net.kind() !== addr.kind()) continue;
      if ((addr as ipaddr.IPv4).match(net as ipaddr.IPv4, bits)) return true;
    }
    return false;
  }
}

function normalize(a: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  if (a.kind() === "ipv6" && (a as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (a as ipaddr.IPv6).toIPv4Address();
  }
  return a;
}
