/**
 * POP3 status lines (RFC 1939 §3) with extended response codes (RFC 2449 §8, RFC 3206).
 *
 * @module
 */

/** Extended response codes (RFC 2449 §8.1, RFC 3206 §4-5). */
export const RespCode = {
  /** Credentials rejected (RFC 3206 §5). */
  AUTH: "AUTH",
  /** Temporary system problem (RFC 3206 §4). */
  SYS_TEMP: "SYS/TEMP",
  /** Permanent system problem (RFC 3206 §4). */
  SYS_PERM: "SYS/PERM",
  /** The maildrop is locked by another session (RFC 2449 §8.1.1). */
  IN_USE: "IN-USE",
  /** Logging in again too soon (RFC 2449 §8.1.2). */
  LOGIN_DELAY: "LOGIN-DELAY",
} as const;

/** One of the response codes above. */
export type RespCodeValue = typeof RespCode[keyof typeof RespCode];

/** `+OK text` with CRLF. */
export function ok(text = ""): string {
  return text ? `+OK ${text}\r\n` : "+OK\r\n";
}

/** `-ERR [CODE] text` with CRLF. */
export function err(text: string, code?: RespCodeValue): string {
  return code ? `-ERR [${code}] ${text}\r\n` : `-ERR ${text}\r\n`;
}

/** A SASL continuation (RFC 5034 §4): `+ base64` (or `+ ` for an empty challenge). */
export function continuation(challenge: Uint8Array): string {
  return `+ ${bytesToBase64(challenge)}\r\n`;
}

/** Base64 of bytes (for SASL). */
export function bytesToBase64(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** Decodes base64 strictly; null when malformed (RFC 5034 §4: the server rejects it). */
export function base64ToBytes(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  try {
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}
