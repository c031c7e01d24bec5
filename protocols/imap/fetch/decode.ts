/**
 * Content-Transfer-Encoding decoding for BINARY[] (RFC 3516): base64 and quoted-printable; 7bit,
 * 8bit and binary pass through; anything else is an unknown encoding (`UNKNOWN-CTE`).
 *
 * @module
 */

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
      return decodeQp(body);
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

function hex(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function decodeQp(input: Uint8Array): Uint8Array {
  const out = new Uint8Array(input.length);
  let o = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (c !== 0x3d) {
      out[o++] = c;
      continue;
    }
    const a = input[i + 1];
    if (a === 0x0d && input[i + 2] === 0x0a) {
      i += 2; // soft line break
      continue;
    }
    if (a === 0x0a) {
      i += 1;
      continue;
    }
    const h = a === undefined ? -1 : hex(a);
    const l = input[i + 2] === undefined ? -1 : hex(input[i + 2]!);
    if (h >= 0 && l >= 0) {
      out[o++] = (h << 4) | l;
      i += 2;
    } else {
      out[o++] = c;
    }
  }
  return out.subarray(0, o);
}
