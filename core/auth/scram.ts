/**
 * SCRAM-SHA-256 (RFC 5802, RFC 7677) building blocks, server side: key derivation and the stored
 * secret, parsing of the client's messages, formatting of the server's, proof verification. Pure
 * functions over strings and bytes; the exchange itself is in `sasl_scram_sha256.ts`.
 *
 * @module
 */
import { createHash, createHmac, pbkdf2, randomBytes } from "node:crypto";
import { Buffer } from "node:buffer";
import { constantTimeEqual } from "./constant_time.ts";
import { preparePassword } from "./saslprep.ts";

/** RFC 7677 §4: at least 4096 iterations of PBKDF2-HMAC-SHA-256. */
export const SCRAM_MIN_ITERATIONS = 4096;
/** Iterations used for new secrets. */
export const SCRAM_DEFAULT_ITERATIONS = 4096;
/** Highest iteration count accepted from storage (keeps a corrupt row from stalling a login). */
const SCRAM_MAX_ITERATIONS = 10_000_000;
const SALT_BYTES = 16;
const KEY_BYTES = 32;

/** What the server stores for SCRAM-SHA-256 (RFC 5802 §3: never the password itself). */
export interface ScramKeys {
  iterations: number;
  salt: Uint8Array;
  storedKey: Uint8Array;
  serverKey: Uint8Array;
}

/** `e=` values of server-final-message (RFC 5802 §7, server-error-value). */
export type ScramErrorValue =
  | "invalid-encoding"
  | "extensions-not-supported"
  | "invalid-proof"
  | "channel-bindings-dont-match"
  | "server-does-support-channel-binding"
  | "channel-binding-not-supported"
  | "unsupported-channel-binding-type"
  | "unknown-user"
  | "invalid-username-encoding"
  | "no-resources"
  | "other-error";

/** A message that could not be accepted, with the `e=` value to report. */
export interface ScramError {
  error: ScramErrorValue;
}

/** A parsed client-first-message (RFC 5802 §7). */
export interface ClientFirst {
  /** gs2-header as sent, e.g. `n,,` (echoed back base64-encoded in the client's `c=`). */
  gs2Header: string;
  /** `n`: client does not support channel binding; `y`: it does but thinks the server does not. */
  cbindFlag: "n" | "y";
  /** Decoded authorization identity, or null when absent. */
  authzid: string | null;
  /** Decoded user name. */
  username: string;
  /** The client's nonce. */
  nonce: string;
  /** client-first-message-bare (part of AuthMessage). */
  bare: string;
}

/** A parsed client-final-message (RFC 5802 §7). */
export interface ClientFinal {
  /** Decoded `c=` value (gs2-header plus channel binding data, none here). */
  channelBinding: Uint8Array;
  /** Combined nonce. */
  nonce: string;
  /** ClientProof. */
  proof: Uint8Array;
  /** client-final-message-without-proof (part of AuthMessage). */
  withoutProof: string;
}

const hmac = (key: Uint8Array, data: string | Uint8Array): Uint8Array =>
  new Uint8Array(createHmac("sha256", key).update(data).digest());
const sha256 = (data: Uint8Array): Uint8Array => new Uint8Array(createHash("sha256").update(data).digest());
const toB64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");

// RFC 4648 base64, canonical padding; empty is not valid where the grammar says 1*.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function fromB64(text: string): Uint8Array | null {
  if (text.length === 0 || !BASE64.test(text)) return null;
  return new Uint8Array(Buffer.from(text, "base64"));
}

/** SaltedPassword := Hi(Normalize(password), salt, i) (RFC 5802 §3), with Hi = PBKDF2-HMAC-SHA-256. */
function saltedPassword(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const input = new TextEncoder().encode(preparePassword(password));
  return new Promise((resolve, reject) => {
    pbkdf2(input, salt, iterations, KEY_BYTES, "sha256", (err, key) => {
      if (err) reject(err);
      else resolve(new Uint8Array(key.buffer, key.byteOffset, key.byteLength));
    });
  });
}

/**
 * Derives the stored keys from a password (RFC 5802 §3): ClientKey := HMAC(SaltedPassword,
 * "Client Key"), StoredKey := H(ClientKey), ServerKey := HMAC(SaltedPassword, "Server Key").
 */
export async function deriveScramKeys(
  password: string,
  salt: Uint8Array,
  iterations: number,
): Promise<ScramKeys> {
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new RangeError(`Invalid SCRAM iteration count: ${iterations}`);
  }
  const salted = await saltedPassword(password, salt, iterations);
  const storedKey = sha256(hmac(salted, "Client Key"));
  const serverKey = hmac(salted, "Server Key");
  return { iterations, salt, storedKey, serverKey };
}

/**
 * Makes the stored SCRAM-SHA-256 secret for a password with a fresh random salt:
 * `iterations$saltB64$storedKeyB64$serverKeyB64`.
 */
export async function createScramSecret(
  password: string,
  iterations = SCRAM_DEFAULT_ITERATIONS,
): Promise<string> {
  if (iterations < SCRAM_MIN_ITERATIONS) {
    throw new RangeError(`SCRAM-SHA-256 needs at least ${SCRAM_MIN_ITERATIONS} iterations: ${iterations}`);
  }
  const salt = new Uint8Array(randomBytes(SALT_BYTES));
  return formatScramSecret(await deriveScramKeys(password, salt, iterations));
}

/** Formats keys as `iterations$saltB64$storedKeyB64$serverKeyB64`. */
export function formatScramSecret(keys: ScramKeys): string {
  return `${keys.iterations}$${toB64(keys.salt)}$${toB64(keys.storedKey)}$${toB64(keys.serverKey)}`;
}

/** Parses a stored SCRAM secret; null when malformed. */
export function parseScramSecret(stored: string): ScramKeys | null {
  const parts = stored.split("$");
  if (parts.length !== 4) return null;
  const [it, saltB64, storedB64, serverB64] = parts as [string, string, string, string];
  if (!/^[1-9][0-9]{0,9}$/.test(it)) return null;
  const iterations = Number(it);
  if (iterations < SCRAM_MIN_ITERATIONS || iterations > SCRAM_MAX_ITERATIONS) return null;
  const salt = fromB64(saltB64);
  const storedKey = fromB64(storedB64);
  const serverKey = fromB64(serverB64);
  if (!salt || !storedKey || !serverKey || storedKey.length !== KEY_BYTES || serverKey.length !== KEY_BYTES) {
    return null;
  }
  return { iterations, salt, storedKey, serverKey };
}

/**
 * Decodes a saslname (RFC 5802 §5.1): `=2C` is `,` and `=3D` is `=`; any other `=` or a bare `,`
 * is an error. Null when malformed or empty.
 */
export function decodeSaslName(text: string): string | null {
  if (text.length === 0 || text.includes(",") || text.includes("\0")) return null;
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch !== "=") {
      out += ch;
      continue;
    }
    const escape = text.slice(i + 1, i + 3);
    if (escape === "2C") out += ",";
    else if (escape === "3D") out += "=";
    else return null;
    i += 2;
  }
  return out;
}

/** Encodes a name as a saslname (RFC 5802 §5.1). */
export function encodeSaslName(name: string): string {
  return name.replaceAll("=", "=3D").replaceAll(",", "=2C");
}

/** printable = %x21-2B / %x2D-7E (RFC 5802 §7): the nonce alphabet. */
const NONCE = /^[\x21-\x2B\x2D-\x7E]+$/;
/** attr-val = ALPHA "=" value (RFC 5802 §7). */
const ATTR_VAL = /^[A-Za-z]=[^,\0]+$/;

/**
 * Parses a client-first-message (RFC 5802 §7). Channel binding (`p=`) is refused because Tern does
 * not offer the -PLUS variant (RFC 5802 §6); a mandatory extension (`m=`) is refused.
 */
export function parseClientFirst(message: string): ClientFirst | ScramError {
  // gs2-header = gs2-cbind-flag "," [ authzid ] ","
  const first = message.indexOf(",");
  const second = first < 0 ? -1 : message.indexOf(",", first + 1);
  if (second < 0) return { error: "other-error" };
  const flag = message.slice(0, first);
  const authzField = message.slice(first + 1, second);
  let cbindFlag: "n" | "y";
  if (flag === "n" || flag === "y") cbindFlag = flag;
  else if (flag.startsWith("p=")) return { error: "channel-binding-not-supported" };
  else return { error: "other-error" };
  let authzid: string | null = null;
  if (authzField !== "") {
    if (!authzField.startsWith("a=")) return { error: "other-error" };
    authzid = decodeSaslName(authzField.slice(2));
    if (authzid === null) return { error: "invalid-username-encoding" };
  }
  const gs2Header = message.slice(0, second + 1);
  const bare = message.slice(second + 1);
  // client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
  const fields = bare.split(",");
  if (fields[0]?.startsWith("m=")) return { error: "extensions-not-supported" };
  const [userField, nonceField, ...extensions] = fields;
  if (userField === undefined || !userField.startsWith("n=")) return { error: "other-error" };
  const username = decodeSaslName(userField.slice(2));
  if (username === null) return { error: "invalid-username-encoding" };
  if (nonceField === undefined || !nonceField.startsWith("r=")) return { error: "other-error" };
  const nonce = nonceField.slice(2);
  if (!NONCE.test(nonce)) return { error: "other-error" };
  if (!extensions.every((e) => ATTR_VAL.test(e))) return { error: "other-error" };
  return { gs2Header, cbindFlag, authzid, username, nonce, bare };
}

/** Formats server-first-message: `r=<combined nonce>,s=<salt>,i=<iterations>` (RFC 5802 §7). */
export function formatServerFirst(nonce: string, salt: Uint8Array, iterations: number): string {
  return `r=${nonce},s=${toB64(salt)},i=${iterations}`;
}

/** Parses a client-final-message (RFC 5802 §7): `c=...,r=...[,ext],p=...`. */
export function parseClientFinal(message: string): ClientFinal | ScramError {
  const proofAt = message.lastIndexOf(",p=");
  if (proofAt < 0) return { error: "other-error" };
  const withoutProof = message.slice(0, proofAt);
  const proof = fromB64(message.slice(proofAt + 3));
  if (!proof) return { error: "invalid-encoding" };
  const [cbField, nonceField, ...extensions] = withoutProof.split(",");
  if (cbField === undefined || !cbField.startsWith("c=")) return { error: "other-error" };
  const channelBinding = fromB64(cbField.slice(2));
  if (!channelBinding) return { error: "invalid-encoding" };
  if (nonceField === undefined || !nonceField.startsWith("r=")) return { error: "other-error" };
  const nonce = nonceField.slice(2);
  if (!NONCE.test(nonce)) return { error: "other-error" };
  if (!extensions.every((e) => ATTR_VAL.test(e))) return { error: "other-error" };
  if (extensions.some((e) => e.startsWith("m="))) return { error: "extensions-not-supported" };
  return { channelBinding, nonce, proof, withoutProof };
}

/** AuthMessage := client-first-message-bare + "," + server-first-message + "," + client-final-without-proof. */
export function authMessage(
  clientFirstBare: string,
  serverFirst: string,
  clientFinalWithoutProof: string,
): string {
  return `${clientFirstBare},${serverFirst},${clientFinalWithoutProof}`;
}

/**
 * Verifies a ClientProof (RFC 5802 §3): ClientKey := ClientProof XOR HMAC(StoredKey, AuthMessage),
 * valid when H(ClientKey) equals StoredKey (compared in constant time).
 */
export function verifyClientProof(keys: ScramKeys, message: string, proof: Uint8Array): boolean {
  const signature = hmac(keys.storedKey, message);
  if (proof.length !== signature.length) {
    constantTimeEqual(keys.storedKey, keys.storedKey);
    return false;
  }
  const clientKey = new Uint8Array(signature.length);
  for (let i = 0; i < signature.length; i++) clientKey[i] = proof[i]! ^ signature[i]!;
  return constantTimeEqual(sha256(clientKey), keys.storedKey);
}

/** ServerSignature := HMAC(ServerKey, AuthMessage) (RFC 5802 §3). */
export function serverSignature(keys: ScramKeys, message: string): Uint8Array {
  return hmac(keys.serverKey, message);
}

/** Formats a successful server-final-message: `v=<ServerSignature>` (RFC 5802 §7). */
export function formatServerFinal(signature: Uint8Array): string {
  return `v=${toB64(signature)}`;
}

/** Formats a failed server-final-message: `e=<server-error-value>` (RFC 5802 §7). */
export function formatServerError(error: ScramErrorValue): string {
  return `e=${error}`;
}

/** A fresh server nonce: 18 random bytes, base64 (no `,`, printable as RFC 5802 §7 requires). */
export function serverNonce(): string {
  return toB64(new Uint8Array(randomBytes(18)));
}
