/**
 * Media type syntax (RFC 9110 §8.3.1, RFC 6838 §4.2) for values a client asks the server to send
 * back in a Content-Type header: the download URL's `type` (RFC 8620 §6.2). Pure; no I/O.
 *
 * @module
 */

/** RFC 9110 §5.6.2 token. */
const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
/** RFC 9110 §5.6.4 quoted-string (qdtext and quoted-pair over visible ASCII, space and tab). */
const QUOTED = '"(?:[\\t !#-\\[\\]-~]|\\\\[\\t -~])*"';
/** RFC 9110 §8.3.1: media-type = type "/" subtype parameters. */
const MEDIA_TYPE = new RegExp(
  `^${TOKEN}/${TOKEN}(?:[ \\t]*;[ \\t]*${TOKEN}=(?:${TOKEN}|${QUOTED}))*$`,
);
/** Longest value accepted (a header line, not a document). */
const MAX_LENGTH = 256;

/**
 * True when `value` is a media type with optional parameters (`text/plain; charset=utf-8`) that
 * can be sent as a Content-Type value: ASCII only, no CR, LF or NUL, at most 256 characters.
 *
 * @example
 * ```ts
 * import { isMediaType } from "./media_type.ts";
 * console.log(isMediaType("application/pdf")); // true
 * console.log(isMediaType("text/plain\r\nx-injected: 1")); // false
 * ```
 */
export function isMediaType(value: string): boolean {
  return value.length <= MAX_LENGTH && MEDIA_TYPE.test(value);
}
