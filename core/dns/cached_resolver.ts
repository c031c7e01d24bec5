/**
 * DNS for inbound checks: Tern's `DnsResolver` (core/dns/resolver.ts, static records in tests)
 * behind a TTL cache shared by every session, and per message a budget of lookups, adapted to the
 * `(name, rrtype)` resolver function the `mailauth` package calls (node:dns answer shapes, node:dns
 * error codes). No lookup of SPF, DKIM, DMARC, ARC, PTR or DNS lists goes anywhere else.
 *
 * @module
 */
import ipaddr from "ipaddr.js";
import type { Clock } from "../clock.ts";
import { type DnsResolver, DnsTemporaryError, type MxRecord } from "./resolver.ts";

/** The resolver function `mailauth` accepts (answers shaped like node:dns `resolve`). */
export type MailauthResolver = (name: string, rrtype: string) => Promise<string[] | string[][]>;

type Answer = { ok: true; value: string[] | MxRecord[] } | { ok: false; temporary: true; message: string };

/** Most answers kept at once; the oldest go first. */
const MAX_ENTRIES = 50_000;
/** Seconds a temporary failure is remembered (a retry soon may succeed). */
const FAILURE_TTL = 30;

/** A TTL cache in front of a `DnsResolver`; one per server. */
export class CachingDns {
  readonly #dns: DnsResolver;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #cache = new Map<string, { expires: number; answer: Promise<Answer> }>();

  /**
   * @param dns the resolver asked on a miss
   * @param clock time source for expiry
   * @param ttlSeconds how long an answer is kept (static and node:dns answers carry no TTL here)
   */
  constructor(dns: DnsResolver, clock: Clock, ttlSeconds: number) {
    this.#dns = dns;
    this.#clock = clock;
    this.#ttlMs = ttlSeconds * 1000;
  }

  /** The resolver behind the cache. */
  get resolver(): DnsResolver {
    return this.#dns;
  }

  /** The cached lookup of `type` at `name`; a temporary failure throws `DnsTemporaryError`. */
  async lookup(type: "A" | "AAAA" | "MX" | "TXT" | "PTR", name: string): Promise<string[] | MxRecord[]> {
    // PTR names are addresses: one spelling per address (2001:db8::1, never 2001:db8:0:…:1).
    if (type === "PTR" && ipaddr.isValid(name)) name = ipaddr.parse(name).toString();
    const key = `${type} ${name.toLowerCase().replace(/\.$/, "")}`;
    const now = this.#clock.now().getTime();
    let hit = this.#cache.get(key);
    if (!hit || hit.expires <= now) {
      const answer = this.#ask(type, name);
      hit = { expires: now + this.#ttlMs, answer };
      if (this.#ttlMs > 0) {
        if (this.#cache.size >= MAX_ENTRIES) this.#cache.delete(this.#cache.keys().next().value!);
        this.#cache.set(key, hit);
        answer.then((a) => {
          if (!a.ok && hit) hit.expires = Math.min(hit.expires, now + FAILURE_TTL * 1000);
        });
      }
    }
    const a = await hit.answer;
    if (!a.ok) throw new DnsTemporaryError(a.message);
    return a.value;
  }

  async #ask(type: string, name: string): Promise<Answer> {
    try {
      const d = this.#dns;
      switch (type) {
        case "MX":
          return { ok: true, value: await d.mx(name) };
        case "TXT":
          return { ok: true, value: await d.txt(name) };
        case "PTR":
          return { ok: true, value: await d.ptr(name) };
        default: {
          // The interface answers A and AAAA together; split them by family.
          const all = (await d.addresses(name)).map(stripPort);
          return { ok: true, value: all.filter((a) => (type === "AAAA") === a.includes(":")) };
        }
      }
    } catch (e) {
      return { ok: false, temporary: true, message: e instanceof Error ? e.message : String(e) };
    }
  }
}

/** A static record may carry `ip:port` (test sinks); DNS checks want the address only. */
function stripPort(a: string): string {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(a);
  return m ? m[1]! : a;
}

/** node:dns-style error, which is what `mailauth` inspects (`code`). */
function dnsError(code: string, name: string, rrtype: string): Error {
  const e = new Error(`${rrtype} ${name}: ${code}`) as Error & { code: string; hostname: string };
  e.code = code;
  e.hostname = name;
  return e;
}

/** Counts the DNS lookups of one message against a budget. */
export class LookupBudget {
  #used = 0;
  readonly #max: number;

  /** @param max lookups allowed */
  constructor(max: number) {
    this.#max = max;
  }

  /** Lookups made so far. */
  get used(): number {
    return this.#used;
  }

  /** Takes one lookup; false when the budget is spent. */
  take(): boolean {
    if (this.#used >= this.#max) return false;
    this.#used++;
    return true;
  }
}

/**
 * The resolver function for `mailauth` over `dns`, counting against `budget`: no records is
 * `ENODATA` (an SPF void lookup, RFC 7208 §4.6.4), a temporary failure or a spent budget is
 * `ESERVFAIL` (temperror), an unsupported type is `ENOTIMP`.
 */
export function mailauthResolver(dns: CachingDns, budget: LookupBudget): MailauthResolver {
  return async (name, rrtype) => {
    const type = rrtype.toUpperCase();
    if (!budget.take()) throw dnsError("ESERVFAIL", name, type);
    let answer: string[] | MxRecord[];
    try {
      if (type === "MX") answer = await dns.lookup("MX", name);
      else if (type === "TXT") answer = await dns.lookup("TXT", name);
      else if (type === "A" || type === "AAAA") answer = await dns.lookup(type, name);
      else if (type === "PTR") answer = await dns.lookup("PTR", reverseToAddress(name) ?? name);
      else if (type === "CNAME") throw dnsError("ENODATA", name, type);
      else throw dnsError("ENOTIMP", name, type);
    } catch (e) {
      if (e instanceof DnsTemporaryError) throw dnsError("ESERVFAIL", name, type);
      throw e;
    }
    if (answer.length === 0) throw dnsError("ENODATA", name, type);
    if (type === "MX") {
      // node:dns MX shape; mailauth's declared type does not list it, hence the cast.
      const mx = (answer as MxRecord[]).map((m) => ({ exchange: m.exchange, priority: m.preference }));
      return mx as unknown as string[];
    }
    // node:dns gives TXT records as arrays of strings; ours are already joined.
    if (type === "TXT") return (answer as string[]).map((t) => [t]);
    return answer as string[];
  };
}

/** `4.3.2.1.in-addr.arpa` → `1.2.3.4`; nibble `ip6.arpa` names → the IPv6 address; else null. */
export function reverseToAddress(name: string): string | null {
  const n = name.toLowerCase().replace(/\.$/, "");
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/.exec(n);
  if (v4) return `${v4[4]}.${v4[3]}.${v4[2]}.${v4[1]}`;
  const v6 = /^((?:[0-9a-f]\.){32})ip6\.arpa$/.exec(n);
  if (v6) {
    const hex = v6[1]!.split(".").filter((x) => x).reverse().join("");
    const groups = hex.match(/.{4}/g)!.map((g) => g.replace(/^0+(?=.)/, ""));
    return groups.join(":");
  }
  return null;
}
