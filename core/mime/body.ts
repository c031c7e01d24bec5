/**
 * Body access for parsed parts: transfer decoding (RFC 2045 §6) and text decoding (RFC 2046 §4.1.2).
 *
 * @module
 */
import { decodeText } from "./charset.ts";
import { decodeTransfer } from "./transfer_encoding.ts";
import type { MimePart } from "./types.ts";

/**
 * The part's body with its Content-Transfer-Encoding removed (base64, quoted-printable; other
 * encodings are returned as they are). Never throws.
 *
 * @param raw the message bytes the part was parsed from
 * @param part a part of that message
 * @returns decoded body bytes (a view into `raw` for identity encodings)
 */
export function decodedBody(raw: Uint8Array, part: MimePart): Uint8Array {
  return decodeTransfer(raw.subarray(part.bodyStart, part.bodyEnd), part.encoding);
}

/**
 * The part's body as Unicode text: transfer-decoded, then decoded with its charset parameter
 * (UTF-8 / windows-1252 heuristics when missing or unknown). Never throws.
 *
 * @param raw the message bytes the part was parsed from
 * @param part a part of that message
 * @returns the text
 */
export function partText(raw: Uint8Array, part: MimePart): string {
  return decodeText(decodedBody(raw, part), part.params["charset"] ?? null);
}
