/**
 * Helpers shared by the SASL mechanisms of this folder (private to core/auth).
 *
 * @module
 */
import type { AuthResult, SaslStep } from "./types.ts";

/** Longest client response any mechanism accepts, in bytes. */
export const MAX_SASL_RESPONSE = 8192;

const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Decodes UTF-8, or null when the bytes are not valid UTF-8 or longer than MAX_SASL_RESPONSE. */
export function decodeResponse(bytes: Uint8Array): string | null {
  if (bytes.length > MAX_SASL_RESPONSE) return null;
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return null;
  }
}

/** Encodes a challenge. */
export function encode(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** The outcome for a malformed response or a step after the end. */
export const INVALID: AuthResult = Object.freeze({ ok: false, reason: "invalid" }) as AuthResult;

/** A final step carrying `result`. */
export function done(result: AuthResult, serverFinal?: Uint8Array): SaslStep {
  return serverFinal ? { done: true, result, serverFinal } : { done: true, result };
}

/** A step asking the client for more. */
export function challenge(bytes: Uint8Array): SaslStep {
  return { done: false, challenge: bytes };
}
