/**
 * SASLprep (RFC 4013), the stringprep profile applied to user names and passwords before they are
 * hashed or compared, so that the same password typed in different Unicode forms verifies.
 *
 * Implemented: the mapping step (RFC 4013 §2.1), NFKC normalization (§2.2) and the prohibited
 * output check (§2.3). Not implemented: the bidirectional check (§2.4) and the unassigned code
 * point check for stored strings.
 *
 * @module
 */

// RFC 3454 Table C.1.2: non-ASCII space characters, mapped to SPACE (RFC 4013 §2.1).
const NON_ASCII_SPACE = /[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/gu;
// RFC 3454 Table B.1: commonly mapped to nothing (RFC 4013 §2.1).
const MAPPED_TO_NOTHING = /[\u00AD\u034F\u1806\u180B-\u180D\u200B-\u200D\u2060\uFE00-\uFE0F\uFEFF]/gu;
// RFC 4013 §2.3: C.1.2 (non-ASCII spaces), C.2.1/C.2.2 (controls), C.3 (private use),
// C.4 (non-characters), C.5 (surrogates), C.6 (inappropriate for plain text), C.7 (ideographic
// description), C.8 (change display properties), C.9 (tagging).
const PROHIBITED = new RegExp(
  "[" +
    "\\u00A0\\u1680\\u2000-\\u200B\\u202F\\u205F\\u3000" + // C.1.2
    "\\u0000-\\u001F\\u007F" + // C.2.1
    "\\u0080-\\u009F\\u06DD\\u070F\\u180E\\u200C\\u200D\\u2028\\u2029\\u2060-\\u2063\\u206A-\\u206F" +
    "\\uFEFF\\uFFF9-\\uFFFC\\u{1D173}-\\u{1D17A}" + // C.2.2
    "\\uE000-\\uF8FF\\u{F0000}-\\u{FFFFD}\\u{100000}-\\u{10FFFD}" + // C.3
    "\\uFDD0-\\uFDEF\\uFFFE\\uFFFF\\u{1FFFE}\\u{1FFFF}\\u{2FFFE}\\u{2FFFF}\\u{3FFFE}\\u{3FFFF}" +
    "\\u{4FFFE}\\u{4FFFF}\\u{5FFFE}\\u{5FFFF}\\u{6FFFE}\\u{6FFFF}\\u{7FFFE}\\u{7FFFF}\\u{8FFFE}\\u{8FFFF}" +
    "\\u{9FFFE}\\u{9FFFF}\\u{AFFFE}\\u{AFFFF}\\u{BFFFE}\\u{BFFFF}\\u{CFFFE}\\u{CFFFF}\\u{DFFFE}\\u{DFFFF}" +
    "\\u{EFFFE}\\u{EFFFF}\\u{FFFFE}\\u{FFFFF}\\u{10FFFE}\\u{10FFFF}" + // C.4
    "\\uFFFD" + // C.6 (FFF9-FFFC are in C.2.2)
    "\\u2FF0-\\u2FFB" + // C.7
    "\\u0340\\u0341\\u200E\\u200F\\u202A-\\u202E" + // C.8
    "\\u{E0001}\\u{E0020}-\\u{E007F}" + // C.9
    "]",
  "u",
);
// C.5: a lone surrogate left in a JavaScript string.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Applies SASLprep (RFC 4013) to `input`. Returns null when the result contains a prohibited
 * character.
 *
 * @example
 * ```ts
 * saslprep("I\u00ADX"); // "IX"
 * saslprep("\u2168"); // "IX"
 * ```
 */
export function saslprep(input: string): string | null {
  if (LONE_SURROGATE.test(input)) return null;
  const mapped = input.replace(NON_ASCII_SPACE, " ").replace(MAPPED_TO_NOTHING, "");
  const normalized = mapped.normalize("NFKC");
  if (PROHIBITED.test(normalized)) return null;
  return normalized;
}

/**
 * SASLprep for a password about to be hashed or verified: when SASLprep rejects it, the password is
 * used as given (as PostgreSQL does), so that every password can be set and then verified.
 */
export function preparePassword(password: string): string {
  return saslprep(password) ?? password;
}
