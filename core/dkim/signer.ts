/**
 * DKIM signing of outbound mail (RFC 6376, relaxed/relaxed) with the `mailauth` library: the
 * signature header is prepended to the message. The signing domain is the From: header's domain
 * (DMARC alignment), else the envelope sender's.
 *
 * @module
 */
import { dkimSign } from "mailauth";
import type { DkimKey } from "../store/records/dkim_keys.ts";

/** Looks up the keys of a domain (`Store.dkimKeys`). */
export interface DkimKeySource {
  list(domain: string): Promise<DkimKey[]>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The domain of the first address in the From: header field, or null. */
export function fromHeaderDomain(raw: Uint8Array): string | null {
  const head = decoder.decode(raw.subarray(0, Math.min(raw.length, 64 * 1024)));
  const end = head.search(/\r?\n\r?\n/);
  const header = end === -1 ? head : head.slice(0, end);
  const m = /^from:((?:.*)(?:\r?\n[ \t].*)*)/im.exec(header);
  if (!m) return null;
  const value = m[1]!.replace(/\r?\n[ \t]/g, " ");
  const angle = /<[^<>@]*@([^<>\s]+)>/.exec(value);
  const bare = /[^\s<>,:;"]+@([A-Za-z0-9.-]+)/.exec(value);
  const d = angle?.[1] ?? bare?.[1];
  return d ? d.toLowerCase().replace(/\.$/, "") : null;
}

/** Signs messages of domains that have a key. */
export class DkimSigner {
  readonly #keys: DkimKeySource;

  /** @param keys where keys come from */
  constructor(keys: DkimKeySource) {
    this.#keys = keys;
  }

  /**
   * The message with a DKIM-Signature prepended, or the message unchanged when no key applies.
   * Signing errors are reported through the result, never thrown (mail still goes out unsigned).
   */
  async sign(
    raw: Uint8Array,
    envelopeFrom: string | null,
    now: Date,
  ): Promise<{ message: Uint8Array; domain: string | null; error?: string }> {
    const candidates = [
      fromHeaderDomain(raw),
      envelopeFrom ? envelopeFrom.split("@").pop()!.toLowerCase() : null,
    ];
    let keys: DkimKey[] = [];
    for (const d of candidates) {
      if (d && (keys = await this.#keys.list(d)).length > 0) break;
    }
    const key = keys[0];
    if (!key) return { message: raw, domain: null };
    try {
      // RFC 8463 §1: a domain with both an RSA and an Ed25519 key signs with each (one header per key).
      const signatureData = keys.map((k) => ({
        signingDomain: k.domain,
        selector: k.selector,
        privateKey: k.privateKeyPem,
        algorithm: k.algorithm,
        // RFC 6376 §3.4: relaxed/relaxed survives the usual whitespace and folding changes in transit.
        canonicalization: "relaxed/relaxed",
      }));
      const sig = signatureData[0]!;
      // mailauth signs the entries of signatureData (the top-level fields only set defaults).
      const res = await dkimSign(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), {
        ...sig,
        signTime: now,
        signatureData,
      });
      if (res.errors.length > 0 || !res.signatures) {
        return { message: raw, domain: null, error: String(res.errors[0]?.err?.message ?? "no signature") };
      }
      const head = encoder.encode(res.signatures);
      const out = new Uint8Array(head.length + raw.length);
      out.set(head);
      out.set(raw, head.length);
      return { message: out, domain: key.domain };
    } catch (e) {
      return { message: raw, domain: null, error: (e as Error).message };
    }
  }
}
