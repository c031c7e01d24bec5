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

/**
 * Keys by domain: at most one per domain and algorithm, so a domain can sign with both RSA and
 * Ed25519 (RFC 8463 §1 recommends the pair while verifiers catch up). The domain compares
 * case-insensitively.
 */
export interface DkimKeyStore {
  /** Stores the key, replacing the domain's key of the same algorithm. */
  put(key: Omit<DkimKey, "created">, now: Date): Promise<void>;
  /** The domain's most recently stored key, or null. */
  get(domain: string): Promise<DkimKey | null>;
  /** Every key of the domain (RSA first, then Ed25519); [] when none. */
  list(domain: string): Promise<DkimKey[]>;
}
