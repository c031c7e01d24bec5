/**
 * base64url without padding (RFC 4648 §5), for cookie values and tokens.
 *
 * @module
 */
import { Buffer } from "node:buffer";

/** Encodes octets as base64url without padding. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}

/** Decodes base64url (with or without padding); throws on other characters. */
export function decodeBase64Url(s: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(s)) throw new SyntaxError("not base64url");
  return new Uint8Array(Buffer.from(s, "base64url"));
}
