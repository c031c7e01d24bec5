/**
 * Modified UTF-7 for mailbox names (RFC 3501 §5.1.3): printable ASCII stands for itself except
 * "&", which is "&-"; other characters are UTF-16 in modified base64 ("," instead of "/")
 * between "&" and "-".
 *
 * @module
 */

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/** Encodes a UTF-8 mailbox name into modified UTF-7. */
export function encodeMutf7(name: string): string {
  let out = "";
  let i = 0;
  while (i < name.length) {
    const c = name.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e) {
      out += c === 0x26 ? "&-" : name[i];
      i++;
      continue;
    }
    const units: number[] = [];
    while (i < name.length) {
      const u = name.charCodeAt(i);
      if (u >= 0x20 && u <= 0x7e) break;
      units.push(u);
      i++;
    }
    const bytes: number[] = [];
    for (const u of units) bytes.push(u >> 8, u & 0xff);
    let bits = 0;
    let acc = 0;
    out += "&";
    for (const b of bytes) {
      acc = (acc << 8) | b;
      bits += 8;
      while (bits >= 6) {
        bits -= 6;
        out += B64[(acc >> bits) & 0x3f];
      }
      acc &= (1 << bits) - 1;
    }
    if (bits > 0) out += B64[(acc << (6 - bits)) & 0x3f];
    out += "-";
  }
  return out;
}

/** Decodes modified UTF-7; returns null for an invalid encoding (the command then fails with BAD/NO). */
export function decodeMutf7(text: string): string | null {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    const code = text.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) return null;
    if (ch !== "&") {
      out += ch;
      i++;
      continue;
    }
    const end = text.indexOf("-", i + 1);
    if (end < 0) return null;
    if (end === i + 1) {
      out += "&";
      i = end + 1;
      continue;
    }
    let acc = 0;
    let bits = 0;
    const units: number[] = [];
    let pending = -1;
    for (let j = i + 1; j < end; j++) {
      const v = B64.indexOf(text[j]!);
      if (v < 0) return null;
      acc = (acc << 6) | v;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        const byte = (acc >> bits) & 0xff;
        acc &= (1 << bits) - 1;
        if (pending < 0) pending = byte;
        else {
          units.push((pending << 8) | byte);
          pending = -1;
        }
      }
    }
    // Leftover bits must be zero and no odd byte may remain.
    if (pending >= 0 || acc !== 0 || bits >= 6) return null;
    const s = String.fromCharCode(...units);
    // Printable ASCII must not be encoded (RFC 3501 §5.1.3).
    if (/[\x20-\x7e]/.test(s)) return null;
    out += s;
    i = end + 1;
  }
  return out.isWellFormed() ? out : null;
}
