/**
 * CIDR lists (IPv4 and IPv6) for allow and block policies. IPv4-mapped IPv6 addresses
 * (`::ffff:192.0.2.1`) match IPv4 blocks. Blocks are kept as sorted, merged numeric intervals, so
 * a lookup is a binary search whatever the list's length (it runs on every accepted connection).
 *
 * @module
 */
import ipaddr from "ipaddr.js";

/** Closed interval [lo, hi] of addresses as numbers (IPv4) or bigints (IPv6). */
type Interval<T> = [T, T];

/** Sorts and merges overlapping or adjacent intervals. */
function merge<T extends number | bigint>(list: Interval<T>[], one: T): Interval<T>[] {
  list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: Interval<T>[] = [];
  for (const iv of list) {
    const last = out[out.length - 1];
    if (last && iv[0] <= (last[1] as number) + (one as number)) {
      if (iv[1] > last[1]) last[1] = iv[1];
    } else out.push([iv[0], iv[1]]);
  }
  return out;
}

function search<T extends number | bigint>(list: Interval<T>[], x: T): boolean {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = list[mid]!;
    if (x < a) hi = mid - 1;
    else if (x > b) lo = mid + 1;
    else return true;
  }
  return false;
}

function v4Number(a: ipaddr.IPv4): number {
  const [b0, b1, b2, b3] = a.octets as [number, number, number, number];
  return ((b0 << 24) >>> 0) + (b1 << 16) + (b2 << 8) + b3;
}

function v6BigInt(a: ipaddr.IPv6): bigint {
  let n = 0n;
  for (const p of a.parts) n = (n << 16n) | BigInt(p);
  return n;
}

/** Fast path for a dotted quad (the common case): its number, or null if it is not one. */
function parseDottedQuad(s: string): number | null {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return null;
      n = n * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return null;
    } else return null;
  }
  if (dots !== 3 || digits === 0) return null;
  return n * 256 + part;
}

/** A set of CIDR blocks that can be asked whether it contains an address. */
export class CidrList {
  readonly #v4: Interval<number>[];
  readonly #v6: Interval<bigint>[];

  /** Parses blocks like `192.0.2.0/24`, `2001:db8::/32` or a bare address; throws RangeError on a bad one. */
  constructor(blocks: readonly string[]) {
    const v4: Interval<number>[] = [];
    const v6: Interval<bigint>[] = [];
    for (const block of blocks) {
      let addr: ipaddr.IPv4 | ipaddr.IPv6;
      let bits: number;
      try {
        if (block.includes("/")) [addr, bits] = ipaddr.parseCIDR(block);
        else {
          addr = ipaddr.parse(block);
          bits = addr.kind() === "ipv4" ? 32 : 128;
        }
      } catch {
        throw new RangeError(`Invalid CIDR block: "${block}"`);
      }
      if (addr.kind() === "ipv6" && (addr as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
        addr = (addr as ipaddr.IPv6).toIPv4Address();
        bits -= 96;
      }
      if (addr.kind() === "ipv4") {
        const size = 2 ** (32 - bits);
        const lo = Math.floor(v4Number(addr as ipaddr.IPv4) / size) * size;
        v4.push([lo, lo + size - 1]);
      } else {
        const host = 128n - BigInt(bits);
        const lo = (v6BigInt(addr as ipaddr.IPv6) >> host) << host;
        v6.push([lo, lo + (1n << host) - 1n]);
      }
    }
    this.#v4 = merge(v4, 1);
    this.#v6 = merge(v6, 1n);
  }

  /** Number of (merged) intervals. */
  get size(): number {
    return this.#v4.length + this.#v6.length;
  }

  /** True when `address` is inside one of the blocks; false for unparsable input. */
  contains(address: string): boolean {
    if (this.size === 0) return false;
    const quad = parseDottedQuad(address);
    if (quad !== null) return search(this.#v4, quad);
    let addr: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      addr = ipaddr.process(address); // IPv4-mapped IPv6 becomes IPv4
    } catch {
      return false;
    }
    return addr.kind() === "ipv4"
      ? search(this.#v4, v4Number(addr as ipaddr.IPv4))
      : search(this.#v6, v6BigInt(addr as ipaddr.IPv6));
  }
}
