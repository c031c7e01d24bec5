/**
 * The i;unicode-casemap collation (RFC 5051), used by SORT and THREAD (RFC 5256 §3) for text
 * criteria. Pure functions.
 *
 * @module
 */

/**
 * Characters whose titlecase differs from their uppercase (the DŽ, LJ, NJ and DZ digraphs).
 * RFC 5051 §2 maps to titlecase; for every other character titlecase is the simple uppercase.
 */
const TITLECASE: Record<string, string> = {
  "\u01c4": "\u01c5",
  "\u01c5": "\u01c5",
  "\u01c6": "\u01c5",
  "\u01c7": "\u01c8",
  "\u01c8": "\u01c8",
  "\u01c9": "\u01c8",
  "\u01ca": "\u01cb",
  "\u01cb": "\u01cb",
  "\u01cc": "\u01cb",
  "\u01f1": "\u01f2",
  "\u01f2": "\u01f2",
  "\u01f3": "\u01f2",
};

/**
 * The canonical form of `s` under i;unicode-casemap (RFC 5051 §2): each character replaced by its
 * simple titlecase mapping, then the result fully decomposed (NFKD). Two strings are equal under
 * the collation when their canonical forms are equal, and order as the forms' code points do.
 *
 * @example
 * ```ts
 * import { casemapKey } from "./collation.ts";
 * console.assert(casemapKey("café") === casemapKey("CAFE\u0301"));
 * ```
 */
export function casemapKey(s: string): string {
  let out = "";
  for (const c of s) {
    const t = TITLECASE[c];
    if (t !== undefined) {
      out += t;
      continue;
    }
    const u = c.toUpperCase();
    // A simple mapping is one character; a full mapping that expands (ß → SS) is not used.
    out += [...u].length === 1 ? u : c;
  }
  return out.normalize("NFKD");
}

/**
 * Compares two canonical forms (from `casemapKey`) by Unicode code point, which is the octet order
 * of their UTF-8 (RFC 5051 §2: "the octet strings are compared"). UTF-16 code unit order differs
 * from it above U+D7FF, hence the explicit loop.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (U+D800–DFFF, astral code points) sort after U+E000–FFFF in code point order.
    const sx = x >= 0xd800 && x <= 0xdfff ? x + 0x2000 : x >= 0xe000 ? x - 0x800 : x;
    const sy = y >= 0xd800 && y <= 0xdfff ? y + 0x2000 : y >= 0xe000 ? y - 0x800 : y;
    return sx - sy;
  }
  return a.length - b.length;
}
