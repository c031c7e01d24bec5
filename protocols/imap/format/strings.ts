/**
 * String representations in responses (RFC 9051 §4.3): a quoted string when every character is
 * allowed inside quotes, otherwise a literal. Atoms are used only where the grammar allows
 * `astring` (mailbox names) and the text is a valid atom.
 *
 * @module
 */

const encoder = new TextEncoder();

/** True when `s` may be sent as a quoted string (8-bit only when UTF-8 is enabled, RFC 6855 §3). */
export function canQuote(s: string, utf8: boolean): boolean {
  if (s.length > 1024) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // RFC 9051 §9: QUOTED-CHAR excludes CR, LF and NUL; 8-bit only as utf8-quoted.
    if (c === 0x0d || c === 0x0a || c === 0) return false;
    if (c > 0x7e && !utf8) return false;
    if (c === 0x7f) return false;
  }
  return true;
}

/** A quoted string (the caller checked `canQuote`). */
export function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (m) => "\\" + m)}"`;
}

/** `string` (quoted or literal). */
export function str(s: string, utf8: boolean): string {
  if (canQuote(s, utf8)) return quote(s);
  return `{${encoder.encode(s).length}}\r\n${s}`;
}

/** `nstring`: NIL for null. */
export function nstr(s: string | null | undefined, utf8: boolean): string {
  return s === null || s === undefined ? "NIL" : str(s, utf8);
}

/** RFC 9051 §9 ATOM-CHAR plus "]" (ASTRING-CHAR). */
export function isAstringAtom(s: string): boolean {
  return s.length > 0 && /^[\x21\x23\x24\x26\x27\x2b-\x5b\x5d-\x7a\x7c\x7e]+$/.test(s) &&
    s.toUpperCase() !== "NIL";
}

/** `astring`: atom when possible, else quoted or literal. */
export function astr(s: string, utf8: boolean): string {
  return isAstringAtom(s) ? s : str(s, utf8);
}
