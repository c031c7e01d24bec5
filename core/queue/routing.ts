/**
 * Where a recipient domain's mail goes: a configured route or relay (smarthost, primary first,
 * then backups), else the domain's MX hosts (RFC 5321 §5.1) with the A/AAAA fallback, and the null
 * MX (RFC 7505) as an immediate permanent failure.
 *
 * @module
 */
import { type DnsResolver, DnsTemporaryError } from "../dns/resolver.ts";
import type { QueueSettings, ResolvedRoute } from "./settings.ts";
import type { TlsMode } from "../config/types.ts";
import { mxMatches, type StsPolicy } from "../mtasts/policy.ts";
import { parseTlsa, type TlsaRecord, usable } from "../dane/tlsa.ts";

/** One host to try. */
export interface DeliveryTarget {
  /** Host name (MX exchange or relay name) for SNI, logs and Remote-MTA. */
  host: string;
  /** Address to connect to. */
  address: string;
  port: number;
  tls: TlsMode;
  requireTls: boolean;
  tlsVerify: boolean;
  auth?: { username: string; password: string };
  /** True for a smarthost (relay) target. */
  relay: boolean;
  /** RFC 7672: usable TLSA records authenticating this host (TLS then mandatory); absent: no DANE. */
  dane?: TlsaRecord[];
  /** The TLS policy that applied, as TLS-RPT reports it (RFC 8460 §4.3); absent for relays. */
  tlsPolicy?: TlsPolicyInfo;
}

/** RFC 8460 §4.3 policy of a delivery: its type and the policy strings. */
export interface TlsPolicyInfo {
  type: "sts" | "tlsa" | "no-policy-found";
  /** The MTA-STS policy lines or the TLSA records in presentation form. */
  strings: string[];
}

/** What the message asks of routing. */
export interface RouteOptions {
  /**
   * RFC 8689 §4.2.1: a REQUIRETLS message: every target requires TLS with a verified certificate
   * (DANE, else WebPKI names, MTA-STS included).
   */
  requireTls?: boolean;
  /**
   * RFC 8689 §4.2.2: the message carries `TLS-Required: No` (and no REQUIRETLS): MTA-STS and DANE
   * policies are not applied; TLS stays opportunistic.
   */
  ignoreTlsPolicy?: boolean;
}

/** A host's authenticated TLSA RRset: the usable records and all records as published. */
interface DaneInfo {
  usable: TlsaRecord[];
  strings: string[];
}

function stsStrings(p: StsPolicy): string[] {
  return ["version: STSv1", `mode: ${p.mode}`, ...p.mx.map((m) => `mx: ${m}`), `max_age: ${p.maxAge}`];
}

/** Result of routing a domain. */
export type RouteResult =
  | { kind: "targets"; targets: DeliveryTarget[] }
  /** No way to deliver, ever (null MX, no such domain): fail at once. */
  | { kind: "permanent"; status: string; reason: string }
  /** DNS trouble: try again later. */
  | { kind: "temporary"; status: string; reason: string };

/** Splits `host:port`, `[v6]:port`, `v4:port` or a bare host. */
export function splitHostPort(s: string, defaultPort: number): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) return { host: v6[1]!, port: v6[2] ? Number(v6[2]) : defaultPort };
  const colons = s.split(":").length - 1;
  if (colons === 1) {
    const [h, p] = s.split(":");
    if (/^\d+$/.test(p!)) return { host: h!, port: Number(p) };
  }
  return { host: s, port: defaultPort };
}

function isIp(s: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(s) || s.includes(":");
}

function shuffleEqualPreference<T extends { preference: number }>(list: T[]): T[] {
  // RFC 5321 §5.1: hosts of equal preference are tried in random order.
  const out = list.map((x) => ({ x, r: Math.random() }));
  out.sort((a, b) => a.x.preference - b.x.preference || a.r - b.r);
  return out.map((o) => o.x);
}

/** Where the router gets a domain's MTA-STS policy (core/mtasts/policies.ts). */
export interface StsPolicySource {
  policyFor(domain: string): Promise<StsPolicy | null>;
}

/** Routes recipient domains to delivery targets. */
export class Router {
  readonly #settings: QueueSettings;
  readonly #dns: DnsResolver;
  readonly #mtaSts: StsPolicySource | null;

  /**
   * @param settings queue settings (routes, relay, port, TLS policy)
   * @param dns the resolver (node:dns in production, static in tests)
   * @param mtaSts recipient domains' MTA-STS policies (RFC 8461), or null to ignore them
   */
  constructor(settings: QueueSettings, dns: DnsResolver, mtaSts: StsPolicySource | null = null) {
    this.#settings = settings;
    this.#dns = dns;
    this.#mtaSts = mtaSts;
  }

  /** The route of a domain: per-domain route, then relay, then MX. */
  async route(domain: string, opts: RouteOptions = {}): Promise<RouteResult> {
    const d = domain.toLowerCase();
    const route = this.#settings.routes.find((r) => r.domains.includes(d)) ?? this.#settings.relay;
    try {
      const result = route ? await this.#relayTargets(route) : await this.#mxTargets(d, opts);
      if (result.kind === "targets" && opts.requireTls) {
        // RFC 8689 §4.2.1: TLS with an authenticated server on every hop; DANE authenticates by
        // its TLSA records, every other target by its certificate's name (WebPKI).
        for (const t of result.targets) {
          t.requireTls = true;
          if (!t.dane) t.tlsVerify = true;
          if (t.tls === "none") t.tls = "starttls";
        }
      }
      return result;
    } catch (e) {
      if (e instanceof DnsTemporaryError) return { kind: "temporary", status: "4.4.3", reason: e.message };
      throw e;
    }
  }

  async #relayTargets(route: ResolvedRoute): Promise<RouteResult> {
    const targets: DeliveryTarget[] = [];
    const defPort = route.tls === "implicit" ? 465 : 25;
    for (const h of route.hosts) {
      const { host, port } = splitHostPort(h, defPort);
      // A relay named by address connects there; a name goes through the resolver, else the OS.
      const addrs = isIp(host) ? [host] : await this.#dns.addresses(host).catch(() => []);
      for (const a of addrs.length ? addrs : [host]) {
        const ap = splitHostPort(a, port);
        targets.push({
          host,
          address: ap.host,
          port: ap.port,
          tls: route.tls,
          requireTls: route.requireTls,
          tlsVerify: route.tlsVerify,
          auth: route.username !== undefined && route.password !== undefined
            ? { username: route.username, password: route.password }
            : undefined,
          relay: true,
        });
      }
    }
    if (targets.length === 0) {
      return { kind: "permanent", status: "5.4.4", reason: "No relay host configured" };
    }
    return { kind: "targets", targets };
  }

  /**
   * RFC 7672 §2.2: the authenticated TLSA records of an MX host (`_25._tcp.<host>`, the SMTP port
   * whatever port tests connect to): null when there are none or they are not authenticated (no
   * DANE); [] when all are unusable (TLS still mandatory, not authenticated: RFC 7672 §2.2).
   */
  async #tlsa(host: string): Promise<DaneInfo | null> {
    if (!this.#dns.tlsa) return null;
    const answer = await this.#dns.tlsa(`_25._tcp.${host}`);
    if (!answer.authenticated || answer.records.length === 0) return null;
    const parsed = answer.records.map(parseTlsa).filter((r): r is TlsaRecord => r !== null);
    return { usable: parsed.filter(usable), strings: answer.records };
  }

  async #mxTargets(domain: string, opts: RouteOptions): Promise<RouteResult> {
    const mx = await this.#dns.mx(domain);
    // RFC 7505 §3: a single MX with an empty exchange ("." root) means the domain accepts no mail.
    if (mx.some((m) => m.exchange === "" || m.exchange === ".")) {
      return {
        kind: "permanent",
        status: "5.1.10",
        reason: `Domain ${domain} does not accept mail (null MX)`,
      };
    }
    // RFC 5321 §5.1: no MX records: the domain itself is the implicit MX (A/AAAA fallback).
    let hosts = mx.length > 0 ? shuffleEqualPreference(mx).map((m) => m.exchange) : [domain];
    // RFC 8461 §5: in "enforce" mode only MX hosts the policy names are used, each over TLS with a
    // certificate valid for the MX name (§4.2); "testing" and "none" change nothing here.
    const sts = opts.ignoreTlsPolicy ? null : await this.#mtaSts?.policyFor(domain) ?? null;
    const enforce = sts?.mode === "enforce";
    if (enforce) {
      hosts = hosts.filter((h) => mxMatches(sts, h));
      if (hosts.length === 0) {
        return {
          kind: "temporary",
          status: "4.7.5",
          reason: `The MTA-STS policy of ${domain} allows none of its MX hosts`,
        };
      }
    }
    const targets: DeliveryTarget[] = [];
    let temporary: string | null = null;
    for (const host of hosts) {
      let addrs: string[];
      let dane: DaneInfo | null = null;
      try {
        addrs = await this.#dns.addresses(host);
        // RFC 8461 §2: DANE, when the host publishes TLSA records, takes precedence over MTA-STS.
        if (!opts.ignoreTlsPolicy) dane = await this.#tlsa(host);
      } catch (e) {
        if (e instanceof DnsTemporaryError) {
          temporary = e.message;
          continue;
        }
        throw e;
      }
      for (const a of addrs) {
        const ap = splitHostPort(a, this.#settings.port);
        const tlsPolicy: TlsPolicyInfo = dane
          ? { type: "tlsa", strings: dane.strings }
          : sts && sts.mode !== "none"
          ? { type: "sts", strings: stsStrings(sts) }
          : { type: "no-policy-found", strings: [] };
        targets.push({
          host,
          address: ap.host,
          port: ap.port,
          tls: "starttls",
          // RFC 7672 §2.2: authenticated TLSA records (even all unusable) make TLS mandatory.
          requireTls: dane !== null || enforce || this.#settings.require_tls,
          // With DANE the TLSA records, not the WebPKI, authenticate the host (none if all unusable).
          tlsVerify: dane === null && (enforce || this.#settings.tls_verify),
          relay: false,
          ...(dane && dane.usable.length > 0 ? { dane: dane.usable } : {}),
          tlsPolicy,
        });
      }
    }
    if (targets.length > 0) return { kind: "targets", targets };
    if (temporary !== null) return { kind: "temporary", status: "4.4.3", reason: temporary };
    // MX hosts without addresses may be a transient misconfiguration: retry until expiry.
    if (mx.length > 0) {
      return { kind: "temporary", status: "4.4.4", reason: `No address for the MX hosts of ${domain}` };
    }
    // RFC 5321 §5.1: neither MX nor address records: the address is undeliverable.
    return { kind: "permanent", status: "5.1.2", reason: `Domain ${domain} has no MX or address records` };
  }
}
