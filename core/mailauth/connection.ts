/**
 * Connection-level checks of unauthenticated SMTP clients (the MX path), each switched and logged
 * on its own (`[smtp.checks]`): DNS allowlists (a listed client skips the rest), DNS blocklists
 * (RFC 5782), reverse DNS with forward confirmation, HELO sanity — decided once per connection and
 * answered at MAIL FROM — and greylisting (RFC 6647) at RCPT TO. Relay networks and
 * authenticated clients are never checked.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type { SmtpChecksConfig } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import { dnsListLookup } from "../policy/dnsbl.ts";
import { Greylist } from "../policy/greylist.ts";
import { checkHelo } from "../policy/helo_check.ts";
import { reverseDns } from "../policy/rdns.ts";
import type { CachingDns } from "../dns/cached_resolver.ts";

/** An SMTP refusal: reply code, RFC 3463 enhanced code, text. */
export interface CheckRefusal {
  code: number;
  enhanced: string;
  text: string;
}

/** What one connection learnt (kept by the session between its transactions). */
export interface ConnectionVerdict {
  /** The client is on a DNS allowlist: no further connection checks, no greylisting. */
  allowlisted: boolean;
  /** Refusal of every MAIL FROM on this connection, or null. */
  refusal: CheckRefusal | null;
}

/** The checks of one server. */
export class ConnectionChecks {
  readonly #checks: SmtpChecksConfig;
  readonly #dns: CachingDns;
  readonly #log: Logger;
  readonly #ourNames: string[];
  /** The greylist (null when greylisting is off). */
  readonly greylist: Greylist | null;

  /**
   * @param checks `[smtp.checks]`
   * @param dns the inbound DNS cache
   * @param log where each check's result goes
   * @param clock the greylist's time source
   * @param ourNames our host name and local domains (a HELO naming them is forged)
   */
  constructor(checks: SmtpChecksConfig, dns: CachingDns, log: Logger, clock: Clock, ourNames: string[]) {
    this.#checks = checks;
    this.#dns = dns;
    this.#log = log;
    this.#ourNames = ourNames;
    this.greylist = checks.greylist
      ? new Greylist({
        delay: checks.greylist_delay,
        retryWindow: checks.greylist_retry_window,
        passTtl: checks.greylist_pass_ttl,
        exemptDomains: checks.greylist_exempt_domains,
      }, clock)
      : null;
  }

  /** True when any connection check is on (the session skips the work otherwise). */
  get active(): boolean {
    const c = this.#checks;
    return c.dnsbl.length > 0 || c.dnswl.length > 0 || c.rdns !== "off" || c.helo !== "off";
  }

  /** Runs the connection checks for a client, in order: allowlists, blocklists, rDNS, HELO. */
  async connection(ip: string, helo: string, sessionId: string): Promise<ConnectionVerdict> {
    const c = this.#checks;
    const log = (check: string, result: string, reason: string, action: string) =>
      this.#log.info("connection check", { session_id: sessionId, check, result, reason, action });
    if (c.dnswl.length > 0) {
      const hit = await dnsListLookup(this.#dns, ip, c.dnswl);
      if (hit) {
        log("dnswl", "listed", `${hit.zone} ${hit.codes.join(",")}`, "skip checks");
        return { allowlisted: true, refusal: null };
      }
    }
    if (c.dnsbl.length > 0) {
      const hit = await dnsListLookup(this.#dns, ip, c.dnsbl);
      if (hit) {
        log("dnsbl", "listed", `${hit.zone} ${hit.codes.join(",")}`, "reject");
        // RFC 5321 §3.8/§4.2.3: 554 refuses the client's transactions; RFC 3463 X.7.1.
        return {
          allowlisted: false,
          refusal: { code: 554, enhanced: "5.7.1", text: `Client host [${ip}] blocked using ${hit.zone}` },
        };
      }
    }
    if (c.rdns !== "off") {
      const r = await reverseDns(this.#dns, ip);
      if (r.result !== "pass") {
        const reject = c.rdns === "reject";
        log("rdns", r.result, r.reason, reject ? "reject" : "log");
        if (reject) {
          // RFC 7372 §3.3: X.7.25 reverse DNS validation failed (temporary when DNS failed).
          const temp = r.result === "temperror";
          return {
            allowlisted: false,
            refusal: {
              code: temp ? 451 : 550,
              enhanced: temp ? "4.7.25" : "5.7.25",
              text: `Client host [${ip}] reverse DNS validation failed: ${r.reason}`,
            },
          };
        }
      }
    }
    if (c.helo !== "off") {
      const h = checkHelo(helo, ip, this.#ourNames);
      if (h.status !== "ok") {
        const reject = c.helo === "reject" && h.status === "bad";
        log("helo", h.status, h.reason, reject ? "reject" : "log");
        if (reject) {
          return {
            allowlisted: false,
            refusal: { code: 550, enhanced: "5.7.1", text: `HELO/EHLO name rejected: ${h.reason}` },
          };
        }
      }
    }
    return { allowlisted: false, refusal: null };
  }

  /** Greylisting of one recipient (RFC 6647): null to go on, else the 4xx to answer. */
  recipient(ip: string, from: string | null, rcpt: string, sessionId: string): CheckRefusal | null {
    if (!this.greylist) return null;
    const v = this.greylist.check(ip, from, rcpt);
    if (v.pass) {
      if (v.reason === "retried") {
        this.#log.info("connection check", {
          session_id: sessionId,
          check: "greylist",
          result: "pass",
          reason: "retried",
        });
      }
      return null;
    }
    this.#log.info("connection check", {
      session_id: sessionId,
      check: "greylist",
      result: "defer",
      reason: v.reason,
      retry_in: v.retryIn,
    });
    // RFC 6647 §2.1: a temporary failure at RCPT; RFC 3463 X.7.1 (delivery not authorized, yet).
    return { code: 451, enhanced: "4.7.1", text: `Greylisted, please try again in ${v.retryIn} seconds` };
  }
}
