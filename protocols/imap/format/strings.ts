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

const utf8Fatal = new TextDecoder("utf-8", { fatal: true });

/**
 * True when the octet string `s` (one char per byte) may be sent as a quoted string: no CR, LF or
 * NUL, at most 1024 octets, and 7-bit unless UTF-8 is enabled and the octets are valid UTF-8
 * (RFC 9051 §9 QUOTED-CHAR; RFC 6855 §3 utf8-quoted).
 */
export function canQuoteOctets(s: string, utf8: boolean): boolean {
  if (s.length > 1024) return false;
  let eight = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x0d || c === 0x0a || c === 0 || c === 0x7f) return false;
    if (c > 0x7f) eight = true;
  }
  if (!eight) return true;
  if (!utf8) return false;
  try {
    utf8Fatal.decode(Uint8Array.from(s, (ch) => ch.charCodeAt(0)));
    return true;
  } catch {
    return false;
  }
}

/**
 * `string` from an octet string: quoted when allowed, otherwise a literal of exactly those octets.
 * The result is itself an octet string; send it as bytes (`octetBytes`), never as UTF-8 text.
 */
export function ostr(s: string, utf8: boolean): string {
  if (canQuoteOctets(s, utf8)) return quote(s);
  return `{${s.length}}\r\n${s}`;
}

/** `nstring` from an octet string: NIL for null. */
export function onstr(s: string | null | undefined, utf8: boolean): string {
  return s === null || s === undefined ? "NIL" : ostr(s, utf8);
}
