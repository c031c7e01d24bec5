/**
 * The DNS resolver interface used by outbound routing and DKIM: `node:dns` in production, a static
 * map (from config or a test) everywhere else, so tests never leave loopback.
 *
 * @module
 */
import { promises as dnsPromises } from "node:dns";

/** One MX record (RFC 5321 §5.1). */
export interface MxRecord {
  exchange: string;
  preference: number;
}

/** A temporary DNS failure (SERVFAIL, timeout): the caller defers. */
export class DnsTemporaryError extends Error {
  override name = "DnsTemporaryError";
}

/** What routing needs from DNS. "No such name / no records" is an empty array, never an error. */
export interface DnsResolver {
  /** MX records of a domain ([] when there are none or the name does not exist). */
  mx(domain: string): Promise<MxRecord[]>;
  /**
   * Addresses of a host (A then AAAA). A static resolver may answer `ip:port` (tests point hosts at
   * loopback sinks on ephemeral ports).
   */
  addresses(host: string): Promise<string[]>;
  /** TXT records, each joined from its strings. */
  txt(name: string): Promise<string[]>;
  /** PTR records of an address (reverse DNS, RFC 1035 §3.5): host names, [] when there are none. */
  ptr(ip: string): Promise<string[]>;
  /** SRV records (RFC 2782), [] when there are none. */
  srv(name: string): Promise<SrvRecord[]>;
  /** The CNAME target of a name (without the trailing dot), or [] when it has none. */
  cname(name: string): Promise<string[]>;
  /**
   * TLSA records (RFC 6698) of a name such as `_25._tcp.mx.example`, in presentation form
   * (`USAGE SELECTOR MTYPE HEX`), with whether the answer was DNSSEC-authenticated (the AD bit).
   * RFC 7672 §2.2: only authenticated records may be used. Absent: no DANE.
   */
  tlsa?(name: string): Promise<TlsaAnswer>;
}

/** The answer to a TLSA query. */
export interface TlsaAnswer {
  /** Records in presentation form; [] when there are none. */
  records: string[];
  /** The answer was DNSSEC-validated (RFC 4035 §3.2.3 AD bit). */
  authenticated: boolean;
}

/** One SRV record (RFC 2782). */
export interface SrvRecord {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

const NOT_FOUND = new Set(["ENOTFOUND", "ENODATA", "NXDOMAIN", "ENONAME"]);

function isNotFound(e: unknown): boolean {
  const code = (e as { code?: string })?.code;
  return code !== undefined && NOT_FOUND.has(code);
}

async function orEmpty<T>(p: Promise<T[]>): Promise<T[]> {
  try {
    return await p;
  } catch (e) {
    if (isNotFound(e)) return [];
    throw new DnsTemporaryError(`DNS lookup failed: ${(e as Error).message ?? e}`);
  }
}

/** The production resolver over `node:dns` (the system's configured servers). */
export class NodeDnsResolver implements DnsResolver {
  /** MX lookup. */
  mx(domain: string): Promise<MxRecord[]> {
    return orEmpty(dnsPromises.resolveMx(domain)).then((r) =>
      r.map((x) => ({ exchange: x.exchange, preference: x.priority }))
    );
  }
  /** A then AAAA. */
  async addresses(host: string): Promise<string[]> {
    const v4 = await orEmpty(dnsPromises.resolve4(host));
    const v6 = await orEmpty(dnsPromises.resolve6(host));
    return [...v4, ...v6];
  }
  /** TXT lookup. */
  txt(name: string): Promise<string[]> {
    return orEmpty(dnsPromises.resolveTxt(name)).then((r) => r.map((parts) => parts.join("")));
  }
  /** Reverse lookup. */
  ptr(ip: string): Promise<string[]> {
    return orEmpty(dnsPromises.reverse(ip));
  }
  /** SRV lookup. */
  srv(name: string): Promise<SrvRecord[]> {
    return orEmpty(dnsPromises.resolveSrv(name)).then((r) =>
      r.map((x) => ({
        priority: x.priority,
        weight: x.weight,
        port: x.port,
        target: x.name.replace(/\.$/, ""),
      }))
    );
  }
  /** CNAME lookup. */
  cname(name: string): Promise<string[]> {
    return orEmpty(dnsPromises.resolveCname(name)).then((r) => r.map((x) => x.replace(/\.$/, "")));
  }
  /**
   * TLSA: `node:dns` cannot report whether an answer was DNSSEC-validated (no AD bit), and RFC 7672
   * §2.2 forbids using records not known to be authenticated. So production answers "no usable
   * TLSA records" without a query, and mail goes by MTA-STS / opportunistic TLS as before.
   */
  tlsa(_name: string): Promise<TlsaAnswer> {
    return Promise.resolve({ records: [], authenticated: false });
  }
}

/** One static record (config `[[queue.static_dns]]`). */
export interface StaticRecord {
  name: string;
  type: "MX" | "A" | "AAAA" | "TXT" | "PTR" | "SRV" | "CNAME" | "TLSA";
  /**
   * MX: "PREF EXCHANGE" (e.g. "10 mx1.example.test"); A/AAAA: an address, optionally ":port";
   * PTR: a host name, the record's name being the address itself (e.g. "192.0.2.1");
   * SRV: "PRIORITY WEIGHT PORT TARGET"; CNAME: the target name; TLSA: "USAGE SELECTOR MTYPE HEX".
   */
  value: string;
  /** TLSA: answer as DNSSEC-authenticated (a test standing in for a validating resolver). */
  authenticated?: boolean;
}

/** A resolver answering from a fixed list of records (tests, air-gapped setups). */
export class StaticDnsResolver implements DnsResolver {
  #records = new Map<string, StaticRecord[]>();
  /** Names whose lookups fail temporarily (tests of SERVFAIL handling). */
  readonly failing = new Set<string>();

  /** @param records the zone */
  constructor(records: StaticRecord[] = []) {
    for (const r of records) this.add(r);
  }

  /** Adds a record. */
  add(r: StaticRecord): void {
    const key = `${r.type} ${r.name.toLowerCase().replace(/\.$/, "")}`;
    const list = this.#records.get(key) ?? [];
    list.push(r);
    this.#records.set(key, list);
  }

  #get(type: string, name: string): StaticRecord[] {
    const n = name.toLowerCase().replace(/\.$/, "");
    if (this.failing.has(n)) throw new DnsTemporaryError(`DNS lookup failed: SERVFAIL for ${n}`);
    return this.#records.get(`${type} ${n}`) ?? [];
  }

  /** MX lookup. */
  mx(domain: string): Promise<MxRecord[]> {
    try {
      return Promise.resolve(
        this.#get("MX", domain).map((r) => {
          const m = /^\s*(\d+)\s+(\S*)\s*$/.exec(r.value);
          if (!m) throw new TypeError(`Invalid static MX value: "${r.value}"`);
          return { preference: Number(m[1]), exchange: m[2]!.replace(/\.$/, "") };
        }),
      );
    } catch (e) {
      return Promise.reject(e);
    }
  }
  /** A then AAAA. */
  addresses(host: string): Promise<string[]> {
    try {
      return Promise.resolve([...this.#get("A", host), ...this.#get("AAAA", host)].map((r) => r.value));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  /** TXT lookup. */
  txt(name: string): Promise<string[]> {
    try {
      return Promise.resolve(this.#get("TXT", name).map((r) => r.value));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  /** PTR lookup: records named by the address itself. */
  ptr(ip: string): Promise<string[]> {
    try {
      return Promise.resolve(this.#get("PTR", ip).map((r) => r.value.replace(/\.$/, "")));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  /** SRV lookup. */
  srv(name: string): Promise<SrvRecord[]> {
    try {
      return Promise.resolve(
        this.#get("SRV", name).map((r) => {
          const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s*$/.exec(r.value);
          if (!m) throw new TypeError(`Invalid static SRV value: "${r.value}"`);
          return {
            priority: Number(m[1]),
            weight: Number(m[2]),
            port: Number(m[3]),
            target: m[4]!.replace(/\.$/, ""),
          };
        }),
      );
    } catch (e) {
      return Promise.reject(e);
    }
  }
  /** CNAME lookup. */
  cname(name: string): Promise<string[]> {
    try {
      return Promise.resolve(this.#get("CNAME", name).map((r) => r.value.replace(/\.$/, "")));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  /** TLSA lookup: authenticated only when every record of the name is marked so. */
  tlsa(name: string): Promise<TlsaAnswer> {
    try {
      const list = this.#get("TLSA", name);
      return Promise.resolve({
        records: list.map((r) => r.value),
        authenticated: list.length > 0 && list.every((r) => r.authenticated === true),
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }
}
