/**
 * Standard Webhooks signatures: `webhook-id`, `webhook-timestamp` (Unix seconds) and
 * `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed with the bytes of a
 * `whsec_<base64>` secret. Receivers verify the signature and refuse timestamps outside a tolerance
 * (replays). Pure apart from node:crypto's HMAC.
 *
 * @module
 */

import { createHmac } from "node:crypto";

const SECRET_PREFIX = "whsec_";

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function fromBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** A new secret: `whsec_` + base64 of 32 random bytes. */
export function generateSecret(): string {
  return SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(32)));
}

/** The key bytes of a secret (`whsec_` prefix optional); throws on a malformed secret. */
export function secretKey(secret: string): Uint8Array {
  const b64 = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  let key: Uint8Array;
  try {
    key = fromBase64(b64);
  } catch {
    throw new TypeError("webhook secret is not base64");
  }
  if (key.length < 16 || key.length > 64) throw new TypeError("webhook secret must hold 16 to 64 bytes");
  return key;
}

function hmac(key: Uint8Array, data: string): Uint8Array {
  // node:crypto's HMAC is synchronous and a fraction of Web Crypto's cost per call (no key import).
  return new Uint8Array(createHmac("sha256", key).update(data, "utf8").digest());
}

/** The three headers of a signed request. */
export interface SignatureHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

/** Signs `body` for message `id` at `timestampSeconds`. */
export function sign(
  secret: string,
  id: string,
  timestampSeconds: number,
  body: string,
): SignatureHeaders {
  const ts = String(Math.floor(timestampSeconds));
  const mac = hmac(secretKey(secret), `${id}.${ts}.${body}`);
  return { "webhook-id": id, "webhook-timestamp": ts, "webhook-signature": `v1,${toBase64(mac)}` };
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/**
 * Verifies a request as a receiver would: one of the space-separated `v1,` signatures matches and
 * the timestamp is within `toleranceSeconds` of `nowSeconds` (default 5 minutes).
 */
export function verify(
  secret: string,
  headers: { get(name: string): string | null },
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const id = headers.get("webhook-id");
  const ts = headers.get("webhook-timestamp");
  const sigs = headers.get("webhook-signature");
  if (!id || !ts || !sigs || !/^\d+$/.test(ts)) return false;
  if (Math.abs(nowSeconds - Number(ts)) > toleranceSeconds) return false;
  const expected = hmac(secretKey(secret), `${id}.${ts}.${body}`);
  for (const part of sigs.split(" ")) {
    const [version, value] = part.split(",", 2);
    if (version !== "v1" || !value) continue;
    try {
      if (equal(fromBase64(value), expected)) return true;
    } catch { /* not base64 */ }
  }
  return false;
}
