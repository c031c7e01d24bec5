/**
 * DKIM signing keys per domain (`Store.dkimKeys`). Private keys are secrets: only the store, the
 * `tern domain dkim` commands and the signer read them.
 *
 * @module
 */

/** Signing algorithms Tern generates keys for (RFC 6376 §3.3, RFC 8463). */
export type DkimAlgorithm = "rsa-sha256" | "ed25519-sha256";

/** A generated key. */
export interface DkimKeyPair {
  algorithm: DkimAlgorithm;
  /** PKCS#8 PEM private key (a secret: stored in the database, never logged). */
  privateKeyPem: string;
  /** Value of the `p=` tag: base64 SubjectPublicKeyInfo (RSA) or the raw 32-byte key (Ed25519). */
  publicKeyB64: string;
}

/** A stored key. */
export interface DkimKey extends DkimKeyPair {
  /** Lowercase domain. */
  domain: string;
  selector: string;
  created: Date;
}

/** Keys by domain (one active key per domain; the domain compares case-insensitively). */
export interface DkimKeyStore {
  /** Stores (replacing) the key of a domain. */
  put(key: Omit<DkimKey, "created">, now: Date): Promise<void>;
  /** The key of a domain, or null. */
  get(domain: string): Promise<DkimKey | null>;
}
