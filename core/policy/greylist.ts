/**
 * Greylisting (RFC 6647): the first attempt of an unknown (client network, sender, recipient)
 * triplet is deferred with a 4xx; a retry after `delay` and within `retryWindow` passes, and the
 * triplet then passes at once for `passTtl` (RFC 6647 §4.1). The client network is the /24 (IPv4)
 * or /64 (IPv6), since large senders retry from another address of the same pool (§4.2). Sender or
 * recipient domains can opt out. Time comes from an injected clock; the triplets are kept in memory,
 * bounded (a restart only greylists again, §5).
 *
 * @module
 */
import ipaddr from "ipaddr.js";
import type { Clock } from "../clock.ts";

/** Greylisting settings. */
export interface GreylistOptions {
  /** Seconds a new triplet is deferred. */
  delay: number;
  /** Seconds after the first attempt during which a retry passes. */
  retryWindow: number;
  /** Seconds a triplet that passed stays allowed (renewed by each pass). */
  passTtl: number;
  /** Domains (sender or recipient) never greylisted, lowercase. */
  exemptDomains: string[];
  /** Triplets kept at most. */
  maxEntries?: number;
}

/** The verdict on one triplet. */
export type GreylistVerdict =
  | { pass: true; reason: "exempt" | "known" | "retried" }
  /** Deferred: the client may retry in `retryIn` seconds. */
  | { pass: false; reason: "new" | "too early"; retryIn: number };

interface Entry {
  first: number;
  /** Set once the triplet passed: it passes until then. */
  passUntil: number;
}

/** The network part of a client address the triplet uses. */
export function clientNetwork(ip: string): string {
  try {
    const a = ipaddr.process(ip);
    if (a.kind() === "ipv4") return a.toByteArray().slice(0, 3).join(".") + ".0/24";
    const b = a.toByteArray();
    const groups: string[] = [];
    for (let i = 0; i < 8; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
    return groups.join(":") + "::/64";
  } catch {
    return ip;
  }
}

function domainOf(address: string | null): string {
  return address ? address.slice(address.lastIndexOf("@") + 1).toLowerCase() : "";
}

/** The greylist. */
export class Greylist {
  readonly #opts: GreylistOptions;
  readonly #clock: Clock;
  readonly #entries = new Map<string, Entry>();
  readonly #exempt: Set<string>;

  /**
   * @param opts delays and exemptions
   * @param clock the time source (tests inject one)
   */
  constructor(opts: GreylistOptions, clock: Clock) {
    this.#opts = opts;
    this.#clock = clock;
    this.#exempt = new Set(opts.exemptDomains.map((d) => d.toLowerCase()));
  }

  /** Triplets remembered. */
  get size(): number {
    return this.#entries.size;
  }

  /** Checks (and records) one delivery attempt. `from` is null for the null reverse-path. */
  check(ip: string, from: string | null, rcpt: string): GreylistVerdict {
    if (this.#exempt.has(domainOf(from)) || this.#exempt.has(domainOf(rcpt))) {
      return { pass: true, reason: "exempt" };
    }
    const now = this.#clock.now().getTime();
    const key = `${clientNetwork(ip)}|${(from ?? "").toLowerCase()}|${rcpt.toLowerCase()}`;
    const o = this.#opts;
    const e = this.#entries.get(key);
    if (e && e.passUntil > now) {
      e.passUntil = now + o.passTtl * 1000;
      return { pass: true, reason: "known" };
    }
    if (e && e.passUntil === 0 && now - e.first <= o.retryWindow * 1000) {
      const wait = e.first + o.delay * 1000 - now;
      if (wait > 0) return { pass: false, reason: "too early", retryIn: Math.ceil(wait / 1000) };
      e.passUntil = now + o.passTtl * 1000;
      return { pass: true, reason: "retried" };
    }
    // New, expired or retried too late: start over.
    this.#entries.delete(key);
    if (this.#entries.size >= (o.maxEntries ?? 1_000_000)) this.#evict(now);
    this.#entries.set(key, { first: now, passUntil: 0 });
    return { pass: false, reason: "new", retryIn: o.delay };
  }

  /** Drops expired entries, then the oldest when still full. */
  #evict(now: number): void {
    const o = this.#opts;
    for (const [k, e] of this.#entries) {
      const dead = e.passUntil > 0 ? e.passUntil <= now : now - e.first > o.retryWindow * 1000;
      if (dead) this.#entries.delete(k);
    }
    const max = o.maxEntries ?? 1_000_000;
    while (this.#entries.size >= max) this.#entries.delete(this.#entries.keys().next().value!);
  }
}
