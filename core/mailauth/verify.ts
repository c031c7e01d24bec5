/**
 * Message authentication of mail received from outside: SPF (RFC 7208) of MAIL FROM and HELO, DKIM
 * (RFC 6376, RFC 8463 ed25519), ARC (RFC 8617) and DMARC (RFC 7489) through the `mailauth` package,
 * every DNS lookup through Tern's resolver (core/dns/cached_resolver.ts). The outcome is one
 * Authentication-Results field for our host name (RFC 8601), optional ARC seal fields, and the
 * DMARC disposition the published policy asks for.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { authenticate, spf } from "mailauth";
import type { MessageSource } from "../delivery/spool.ts";
import { type CachingDns, LookupBudget, mailauthResolver } from "../dns/cached_resolver.ts";
import type { DmarcPublished } from "../store/records/dmarc.ts";

/** The SMTP facts the checks need. */
export interface AuthInput {
  /** Client address. */
  ip: string;
  /** HELO/EHLO argument. */
  helo: string;
  /** MAIL FROM address, null for `<>`. */
  sender: string | null;
}

/** Which checks run. */
export interface VerifyOptions {
  /** Our host name: the authserv-id (RFC 8601 §2.5). */
  hostname: string;
  spf: boolean;
  dkim: boolean;
  dmarc: boolean;
  arc: boolean;
  /** DNS lookups allowed for this message. */
  maxLookups: number;
  /** ARC sealing key, when sealing. */
  seal?: { signingDomain: string; selector: string; privateKey: string; algorithm: string };
}

/** RFC 8601 result keywords. */
export type AuthResultValue =
  | "pass"
  | "fail"
  | "softfail"
  | "neutral"
  | "none"
  | "temperror"
  | "permerror"
  | "policy";

/** What the checks concluded. */
export interface AuthOutcome {
  spf: AuthResultValue;
  /** The domain SPF checked (MAIL FROM domain, or the HELO name for `<>`). */
  spfDomain: string;
  /** SPF of the HELO identity, checked separately when MAIL FROM is not null (null: not checked). */
  spfHelo: AuthResultValue | null;
  /** Per DKIM signature: its domain and result. */
  dkim: { domain: string; selector: string; result: AuthResultValue }[];
  arc: AuthResultValue;
  /** When the ARC chain passed: the newest sealer's domain and whether its hop saw dmarc=pass. */
  arcSealer: { domain: string; dmarcPass: boolean } | null;
  dmarc: {
    result: AuthResultValue;
    /** The From: domain. */
    domain: string;
    /** The effective policy (p=, sp=, np=, or one level lower under t=y). */
    policy: "none" | "quarantine" | "reject";
    /** The policy as published (p=). */
    published: string;
    /** Alignment of SPF / DKIM (true when an aligned identifier passed). */
    spfAligned: boolean;
    dkimAligned: boolean;
    /** The record's `rua=` URIs. */
    rua: string[];
    /** The record as published by the domain whose record applied (aggregate reports). */
    record: DmarcPublished;
  } | null;
  /** Set when local policy did not apply the DMARC policy (RFC 7489 §7.2 PolicyOverrideType). */
  overridden?: "forwarded" | "local_policy" | "sampled_out";
  /** Header fields to add above the message (CRLF-terminated): ARC set, then Authentication-Results. */
  fields: string;
  /** DNS lookups used. */
  lookups: number;
}

const RESULTS: ReadonlySet<string> = new Set([
  "pass",
  "fail",
  "softfail",
  "neutral",
  "none",
  "temperror",
  "permerror",
  "policy",
]);

function resultOf(v: unknown): AuthResultValue {
  const s = String(v ?? "none").toLowerCase();
  if (s === "temperr") return "temperror";
  return RESULTS.has(s) ? s as AuthResultValue : "none";
}

/** The message as something `mailauth` reads (bytes in memory, else a Node stream). */
async function input(message: MessageSource): Promise<Buffer | Readable> {
  const b = message.bytes();
  if (b !== null) return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const stream = await message.stream();
  // node:stream's fromWeb is typed with node's own web-stream type; the object is the same.
  return Readable.fromWeb(stream as unknown as NodeReadableStream<Uint8Array>);
}

/** Runs the checks on one message. Never throws for bad input: failures are results. */
export async function verifyMessage(
  message: MessageSource,
  smtp: AuthInput,
  dns: CachingDns,
  opts: VerifyOptions,
): Promise<AuthOutcome> {
  const budget = new LookupBudget(opts.maxLookups);
  const resolver = mailauthResolver(dns, budget);
  const res = await authenticate(await input(message), {
    ip: smtp.ip,
    helo: smtp.helo,
    // RFC 7208 §2.4: for the null reverse-path SPF checks the HELO identity (postmaster@<HELO>).
    ...(smtp.sender ? { sender: smtp.sender } : {}),
    mta: opts.hostname,
    resolver,
    disableArc: !opts.arc,
    disableDmarc: !opts.dmarc,
    disableBimi: true,
    // Follow the RFCs exactly: rsa-sha1 is not valid (RFC 8301 §3.1), a body hash mismatch is
    // dkim=fail (RFC 6376 §6.1.3), identities in RFC 8601 §2.2 form.
    strict: true,
    ...(opts.seal ? { seal: opts.seal } : {}),
  });
  const spfRes = res.spf || null;
  const dkimRows = opts.dkim ? (res.dkim?.results ?? []) : [];
  const dmarcRes = res.dmarc || null;
  const arcRes = res.arc || null;
  // Authentication-Results: one field, our own assembly so disabled checks stay out of it.
  const parts: string[] = [];
  if (opts.dkim) {
    if (dkimRows.length === 0) parts.push("dkim=none");
    for (const r of dkimRows) parts.push(r.info);
  }
  if (opts.spf && spfRes) parts.push(spfRes.info);
  // RFC 7208 §2.3: the HELO identity is checked too (for DMARC only MAIL FROM counts, RFC 7489 §4.2).
  const heloRes = opts.spf && smtp.sender && isDomainName(smtp.helo)
    ? await spf({ ip: smtp.ip, helo: smtp.helo, mta: opts.hostname, resolver, strict: true })
    : null;
  if (heloRes) parts.push(heloRes.info);
  if (opts.arc && arcRes?.info) parts.push(arcRes.info);
  if (opts.dmarc && dmarcRes?.info) parts.push(dmarcRes.info);
  const ar = `Authentication-Results: ${opts.hostname};` +
    (parts.length === 0 ? " none" : parts.map((p) => `\r\n ${unfold(p)}`).join(";")) + "\r\n";
  // ARC set (from mailauth's headers, which put it first) goes above the A-R, newest on top.
  const arcFields = (res.headers ?? "").split(/\r\n(?=[^ \t])/).filter((f: string) => /^arc-/i.test(f))
    .map((f: string) => f.replace(/\r?\n?$/, "\r\n")).join("");
  const dmarcStatus = dmarcRes?.status;
  const dmarc: AuthOutcome["dmarc"] = opts.dmarc && dmarcRes && dmarcStatus
    ? {
      result: resultOf(dmarcStatus.result),
      domain: String(dmarcStatus.header?.from ?? dmarcRes.domain ?? ""),
      policy: policyOf(dmarcRes.policy),
      published: String(dmarcRes.p ?? "none"),
      spfAligned: Boolean(dmarcRes.alignment?.spf?.result),
      dkimAligned: Boolean(dmarcRes.alignment?.dkim?.result),
      rua: ruaOf(dmarcRes.rr),
      record: publishedOf(String(dmarcRes.policyDomain ?? dmarcRes.domain ?? ""), dmarcRes.rr),
    }
    : null;
  return {
    spf: opts.spf && spfRes ? resultOf(spfRes.status?.result) : "none",
    spfDomain: spfRes?.domain ?? "",
    spfHelo: heloRes ? resultOf(heloRes.status?.result) : null,
    // Strict mode reports an unsigned message as one row without a domain: no signature, no result.
    dkim: dkimRows.filter((r) => r.signingDomain).map((r) => ({
      domain: String(r.signingDomain ?? ""),
      selector: String(r.selector ?? ""),
      result: resultOf(r.status?.result),
    })),
    arc: opts.arc && arcRes ? resultOf(arcRes.status?.result) : "none",
    arcSealer: opts.arc && arcRes && resultOf(arcRes.status?.result) === "pass" && arcRes.signature
      ? {
        domain: String(arcRes.signature.signingDomain ?? "").toLowerCase(),
        dmarcPass: String(arcRes.authenticationResults?.dmarc?.result ?? "") === "pass",
      }
      : null,
    dmarc,
    fields: arcFields + ar,
    lookups: budget.used,
  };
}

function unfold(s: string): string {
  return s.replace(/\r?\n[ \t]+/g, " ").trim();
}

function policyOf(p: unknown): "none" | "quarantine" | "reject" {
  const s = String(p ?? "none").toLowerCase();
  return s === "reject" || s === "quarantine" ? s : "none";
}

/** The `rua=` URIs of a DMARC record (RFC 7489 §6.3), `mailto:` only. */
export function ruaOf(rr: unknown): string[] {
  if (typeof rr !== "string") return [];
  const m = /(?:^|;)\s*rua\s*=\s*([^;]*)/i.exec(rr);
  if (!m) return [];
  return m[1]!.split(",").map((u) => u.trim()).filter((u) => /^mailto:/i.test(u));
}

/** The tags of a DMARC record (RFC 7489 §6.3) as an aggregate report's `policy_published`. */
export function publishedOf(domain: string, rr: unknown): DmarcPublished {
  const tags = new Map<string, string>();
  for (const part of (typeof rr === "string" ? rr : "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) tags.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  const p = (tags.get("p") ?? "none").toLowerCase();
  const pct = Number(tags.get("pct") ?? "100");
  return {
    domain: domain.toLowerCase(),
    adkim: tags.get("adkim")?.toLowerCase() === "s" ? "s" : "r",
    aspf: tags.get("aspf")?.toLowerCase() === "s" ? "s" : "r",
    p,
    sp: (tags.get("sp") ?? p).toLowerCase(),
    pct: Number.isInteger(pct) && pct >= 0 && pct <= 100 ? pct : 100,
    rua: ruaOf(rr),
  };
}

/** True for a HELO argument SPF can check: a domain name, not an address literal (RFC 7208 §2.3). */
function isDomainName(helo: string): boolean {
  return /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9])?)+\.?$/i.test(helo);
}
