/**
 * DANE for SMTP (RFC 7672): TLSA records (RFC 6698 §2) parsed from their presentation form, and
 * a server's certificate chain matched against them. Pure: the chain comes in as DER bytes.
 *
 * Usable records for SMTP are DANE-TA(2) and DANE-EE(3) (RFC 7672 §3.1.3: PKIX-TA(0) and
 * PKIX-EE(1) are treated as unusable). Selector 0 is the whole certificate, 1 its
 * SubjectPublicKeyInfo; matching type 0 compares the data itself, 1 its SHA-256, 2 its SHA-512.
 *
 * @module
 */
import { createHash, X509Certificate } from "node:crypto";

/** One TLSA record (RFC 6698 §2.1). */
export interface TlsaRecord {
  /** Certificate usage: 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE. */
  usage: number;
  /** 0 full certificate, 1 SubjectPublicKeyInfo. */
  selector: number;
  /** 0 exact, 1 SHA-256, 2 SHA-512. */
  matchingType: number;
  /** Certificate association data, lower-case hex. */
  data: string;
}

/**
 * Parses the presentation form `USAGE SELECTOR MTYPE HEX` (RFC 6698 §2.2); the hex may be split
 * by white space. Returns null when the text is not a TLSA record.
 */
export function parseTlsa(text: string): TlsaRecord | null {
  const m = /^\s*(\d{1,3})\s+(\d{1,3})\s+(\d{1,3})\s+([0-9a-fA-F\s]+)$/.exec(text);
  if (!m) return null;
  const data = m[4]!.replace(/\s+/g, "").toLowerCase();
  if (data.length === 0 || data.length % 2 !== 0) return null;
  const [usage, selector, matchingType] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (usage > 255 || selector > 255 || matchingType > 255) return null;
  return { usage, selector, matchingType, data };
}

/**
 * RFC 7672 §3.1: a record an SMTP client can use: DANE-TA(2) or DANE-EE(3), a known selector and
 * matching type, and a digest of the right length.
 */
export function usable(r: TlsaRecord): boolean {
  if (r.usage !== 2 && r.usage !== 3) return false;
  if (r.selector !== 0 && r.selector !== 1) return false;
  if (r.matchingType === 1) return r.data.length === 64;
  if (r.matchingType === 2) return r.data.length === 128;
  return r.matchingType === 0;
}

function selected(cert: X509Certificate, selector: number): Uint8Array {
  if (selector === 0) return new Uint8Array(cert.raw);
  // RFC 6698 §2.1.2: selector 1 is the DER SubjectPublicKeyInfo.
  return new Uint8Array(cert.publicKey.export({ type: "spki", format: "der" }));
}

function associated(bytes: Uint8Array, matchingType: number): string {
  if (matchingType === 1) return createHash("sha256").update(bytes).digest("hex");
  if (matchingType === 2) return createHash("sha512").update(bytes).digest("hex");
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** True when one certificate matches one record's selector, matching type and data. */
export function certMatches(cert: X509Certificate, r: TlsaRecord): boolean {
  return associated(selected(cert, r.selector), r.matchingType) === r.data;
}

/** Outcome of matching a chain. */
export type DaneResult =
  | { ok: true; usage: 2 | 3 }
  | { ok: false; reason: string };

/**
 * Matches the server's chain (leaf first, DER) against the usable TLSA records of `host`.
 *
 * - DANE-EE(3) (RFC 7672 §3.1.1): the leaf certificate matches; names and dates are not checked.
 * - DANE-TA(2) (RFC 7672 §3.1.2): a certificate of the chain the server sent matches, the chain
 *   from the leaf up to it verifies signature by signature, and the leaf is valid for `host`
 *   (RFC 7672 §3.2.2: the MX host name, reference identifier for TA usages).
 */
export function matchChain(chain: Uint8Array[], records: TlsaRecord[], host: string, now: Date): DaneResult {
  const certs = chain.map((der) => new X509Certificate(der));
  const leaf = certs[0];
  if (!leaf) return { ok: false, reason: "no certificate presented" };
  const list = records.filter(usable);
  if (list.some((r) => r.usage === 3 && certMatches(leaf, r))) return { ok: true, usage: 3 };
  for (let i = 0; i < certs.length; i++) {
    const ta = certs[i]!;
    if (!list.some((r) => r.usage === 2 && certMatches(ta, r))) continue;
    // The chain from the leaf up to the trust anchor: each certificate signed by the next one.
    let linked = true;
    for (let k = 0; k < i; k++) {
      if (!certs[k]!.checkIssued(certs[k + 1]!) || !certs[k]!.verify(certs[k + 1]!.publicKey)) {
        linked = false;
        break;
      }
    }
    if (!linked) continue;
    const t = now.getTime();
    if (Date.parse(leaf.validFrom) > t || Date.parse(leaf.validTo) < t) {
      return { ok: false, reason: "certificate expired or not yet valid" };
    }
    if (leaf.checkHost(host) === undefined) {
      return { ok: false, reason: `certificate not valid for ${host}` };
    }
    return { ok: true, usage: 2 };
  }
  return { ok: false, reason: "certificate matches no TLSA record" };
}
