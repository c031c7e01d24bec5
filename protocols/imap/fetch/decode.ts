/**
 * Content-Transfer-Encoding decoding for BINARY[] (RFC 3516): base64 and quoted-printable; 7bit,
 * 8bit and binary pass through; anything else is an unknown encoding (`UNKNOWN-CTE`).
 *
 * @module
 */
import { decodeQuotedPrintable } from "../../../core/mime/transfer_encoding.ts";

/** Decodes a part body; null for an unknown encoding. */
export function decodeTransfer(body: Uint8Array, encoding: string): Uint8Array | null {
  switch (encoding.toLowerCase()) {
    case "7bit":
    case "8bit":
    case "binary":
    case "":
      return body;
    case "base64":
      return decodeBase64(body);
    case "quoted-printable":
      // RFC 2045 §6.7: soft line breaks (also with whitespace after "=") removed and trailing
      // whitespace of each line dropped (rule 3), so BINARY.SIZE is the decoded size.
      return decodeQuotedPrintable(body);
    default:
      return null;
  }
}

const B64 = new Int16Array(256).fill(-1);
"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".split("").forEach((c, i) => {
  B64[c.charCodeAt(0)] = i;
});

function decodeBase64(input: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.floor(input.length * 3 / 4) + 3);
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (const c of input) {
    const v = B64[c]!;
    if (v < 0) continue; // whitespace, padding and junk are skipped (lenient, like most servers)
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
      acc &= (1 << bits) - 1;
    }
  }
  return out.subarray(0, o);
}
