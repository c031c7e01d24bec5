/**
 * The sender side of MTA-STS (RFC 8461 §3.3, §5): looks up a recipient domain's `_mta-sts` TXT
 * record, fetches the policy over HTTPS (certificate verified for `mta-sts.<domain>`, no redirects,
 * 200 with text/plain only) through the SSRF-guarded outbound client, and caches it for its
 * max_age. A record with the cached id reuses the cached policy; a failed fetch or lookup keeps
 * using an unexpired cached policy (§5.1), else the domain has none (§5: deliver as without STS).
 * The cache lives in memory: a restart fetches again.
 *
 * @module
 */
import type { DnsResolver } from "../dns/resolver.ts";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { OutboundHttpClient } from "../net/outbound_http.ts";
import { parseStsPolicy, parseStsRecord, type StsPolicy } from "./policy.ts";

/** Largest policy file read (RFC 8461 §3.3 suggests 64 KiB). */
export const MAX_POLICY_BYTES = 64 * 1024;

interface Cached {
  id: string;
  policy: StsPolicy;
  expires: number;
}

/** RFC 8460 §4.3.2.2 result types of a policy that could not be had. */
export type StsFailureType = "sts-policy-fetch-error" | "sts-policy-invalid" | "sts-webpki-invalid";

/** Hears of a domain whose published policy could not be fetched or parsed (for TLS-RPT). */
export type StsFailureListener = (domain: string, type: StsFailureType, reason: string) => void;

/** Policies of recipient domains, cached. */
export class MtaStsPolicies {
  readonly #dns: DnsResolver;
  readonly #http: Pick<OutboundHttpClient, "request">;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #cache = new Map<string, Cached>();
  readonly #maxEntries: number;
  readonly #onFailure: StsFailureListener | null;

  /**
   * @param deps the resolver for the TXT record, the outbound HTTPS client, the clock, a logger,
   *   and who hears of policy fetch failures (TLS-RPT)
   * @param maxEntries the most domains cached (oldest dropped first)
   */
  constructor(
    deps: {
      dns: DnsResolver;
      http: Pick<OutboundHttpClient, "request">;
      clock: Clock;
      log: Logger;
      onFailure?: StsFailureListener;
    },
    maxEntries = 10_000,
  ) {
    this.#dns = deps.dns;
    this.#http = deps.http;
    this.#clock = deps.clock;
    this.#log = deps.log;
    this.#onFailure = deps.onFailure ?? null;
    this.#maxEntries = maxEntries;
  }

  #failed(domain: string, type: StsFailureType, reason: string): void {
    try {
      this.#onFailure?.(domain, type, reason);
    } catch (e) {
      this.#log.warn("MTA-STS failure listener failed", { error: (e as Error).message });
    }
  }

  /** The domain's policy, or null when it publishes none (or none could be fetched and none is cached). */
  async policyFor(domain: string): Promise<StsPolicy | null> {
    const d = domain.toLowerCase();
    const now = this.#clock.now().getTime();
    const cached = this.#cache.get(d);
    const valid = cached && cached.expires > now ? cached : null;
    let id: string | null = null;
    try {
      const records = (await this.#dns.txt(`_mta-sts.${d}`)).map(parseStsRecord).filter((x) => x !== null);
      // RFC 8461 §3.1: more than one STS record is the same as none.
      id = records.length === 1 ? records[0]! : null;
    } catch (e) {
      this.#log.debug("MTA-STS TXT lookup failed", { domain: d, error: (e as Error).message });
      return valid?.policy ?? null;
    }
    if (id === null) return valid?.policy ?? null;
    if (valid && valid.id === id) return valid.policy;
    const fetched = await this.#fetch(d);
    if (!fetched) return valid?.policy ?? null;
    this.#cache.delete(d);
    if (this.#cache.size >= this.#maxEntries) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(d, { id, policy: fetched, expires: now + fetched.maxAge * 1000 });
    return fetched;
  }

  async #fetch(domain: string): Promise<StsPolicy | null> {
    const url = `https://mta-sts.${domain}/.well-known/mta-sts.txt`;
    try {
      // RFC 8461 §3.3: no redirects; only 200 counts; the media type is text/plain.
      const res = await this.#http.request({ url, method: "GET", maxRedirects: 0 });
      const type = res.headers.get("content-type") ?? "";
      if (
        res.status !== 200 || !/^text\/plain\b/i.test(type) || res.truncated ||
        res.body.length > MAX_POLICY_BYTES
      ) {
        this.#log.info("MTA-STS policy not usable", { domain, status: res.status, content_type: type });
        this.#failed(domain, "sts-policy-fetch-error", `HTTP ${res.status} ${type}`.trim());
        return null;
      }
      const policy = parseStsPolicy(new TextDecoder().decode(res.body));
      if (!policy) {
        this.#log.info("MTA-STS policy invalid", { domain });
        this.#failed(domain, "sts-policy-invalid", "policy file does not parse");
      }
      return policy;
    } catch (e) {
      const message = (e as Error).message;
      this.#log.info("MTA-STS policy fetch failed", { domain, error: message });
      // RFC 8460 §4.3.2.2: a certificate of the policy host that does not validate is its own type.
      const webpki = /certificate|CERT_|self[- ]signed|altname/i.test(message);
      this.#failed(domain, webpki ? "sts-webpki-invalid" : "sts-policy-fetch-error", message.slice(0, 200));
      return null;
    }
  }
}
