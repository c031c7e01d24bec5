/**
 * DKIM key pairs (RFC 6376 §3.6.1, RFC 8463): generation with `node:crypto` and the DNS TXT record
 * that publishes the public key.
 *
 * @module
 */
import { generateKeyPairSync } from "node:crypto";
import type { DkimAlgorithm, DkimKeyPair } from "../store/records/dkim_keys.ts";

/** Defined with the stored key records (core/store/records/dkim_keys.ts). */
export type { DkimAlgorithm, DkimKeyPair };

/** Ed25519 SubjectPublicKeyInfo DER is a fixed 12-byte prefix and the 32-byte key. */
const ED25519_SPKI_PREFIX = 12;

/** Generates a key pair (RSA 2048 bits per RFC 8301 §3.2 guidance, or Ed25519). */
export function generateDkimKey(algorithm: DkimAlgorithm = "rsa-sha256"): DkimKeyPair {
  if (algorithm === "ed25519-sha256") {
    const { publicKey, privateKey } = generateKeyPairSync("ed25519", {
      publicKeyEncoding: { type: "spki", format: "der" },
      privateKeyEncoding: { type: "pkcs8", format: "pem" },
    });
    // RFC 8463 §4.2: p= is the base64 of the raw public key, not an SPKI structure.
    return {
      algorithm,
      privateKeyPem: privateKey,
      publicKeyB64: Buffer.from(publicKey.subarray(ED25519_SPKI_PREFIX)).toString("base64"),
    };
  }
  const { publicKey, privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "der" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  return { algorithm, privateKeyPem: privateKey, publicKeyB64: Buffer.from(publicKey).toString("base64") };
}

/**
 * The selector a new key gets when none is given: the configured base for RSA and the base with
 * "-ed25519" for Ed25519, so the two keys of a domain publish under different names.
 */
export function defaultDkimSelector(base: string, algorithm: DkimAlgorithm): string {
  return algorithm === "ed25519-sha256" ? `${base}-ed25519` : base;
}

/** The record's owner name: `selector._domainkey.domain` (RFC 6376 §3.6.2.1). */
export function dkimRecordName(selector: string, domain: string): string {
  return `${selector}._domainkey.${domain}`;
}

/** The TXT record value (RFC 6376 §3.6.1): `v=DKIM1; k=rsa; p=…`. */
export function dkimRecordValue(key: { algorithm: DkimAlgorithm; publicKeyB64: string }): string {
  const k = key.algorithm === "ed25519-sha256" ? "ed25519" : "rsa";
  return `v=DKIM1; k=${k}; p=${key.publicKeyB64}`;
}

/**
 * The record in zone-file form; long values are split into 255-byte strings (RFC 1035 §3.3.14,
 * RFC 6376 §3.6.2.2).
 */
export function dkimZoneLine(selector: string, domain: string, value: string): string {
  return `${dkimRecordName(selector, domain)}. IN TXT ( ${txtStrings(value).join(" ")} )`;
}

/**
 * A TXT value as the quoted character-strings of zone-file form: at most 255 bytes each (RFC 1035
 * §3.3.14), quotes and backslashes escaped (RFC 1035 §5.1).
 */
export function txtStrings(value: string): string[] {
  const parts: string[] = [];
  for (let i = 0; i < value.length; i += 255) {
    parts.push(`"${value.slice(i, i + 255).replace(/(["\\])/g, "\\$1")}"`);
  }
  return parts.length > 0 ? parts : ['""'];
}
