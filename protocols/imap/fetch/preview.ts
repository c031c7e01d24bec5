/**
 * The FETCH PREVIEW data item (RFC 8970): the text is the preview the store computed when the
 * message arrived (the one JMAP's Email/get `preview` gives, RFC 8621 §4.1.4), made to fit RFC 8970
 * §3.3. Pure.
 *
 * @module
 */
import { str } from "../format/strings.ts";

/** RFC 8970 §3.3: a preview is at most 256 characters. */
export const MAX_PREVIEW_CHARS = 256;

/**
 * The preview text as RFC 8970 §3.3 wants it: no control characters (NUL cannot travel in a
 * literal, RFC 9051 §4.3), whitespace runs as one space, none at either end, at most 256 code
 * points. The stored preview already collapses whitespace but may end in a space when the cut
 * falls just after one.
 *
 * @param stored the stored message preview
 */
export function previewText(stored: string): string {
  // deno-lint-ignore no-control-regex
  const clean = stored.replace(/[\x00-\x1f\x7f]+/g, " ").replace(/\s+/g, " ").trim();
  const chars = Array.from(clean);
  return chars.length <= MAX_PREVIEW_CHARS ? clean : chars.slice(0, MAX_PREVIEW_CHARS).join("").trimEnd();
}

/**
 * `PREVIEW` SP nstring (RFC 8970 §7). The preview is UTF-8 text (RFC 8970 §3.3): a quoted string
 * when it is ASCII or the client enabled UTF8=ACCEPT (RFC 6855 §3), otherwise a literal, whose
 * octets may be 8-bit (RFC 9051 §4.3). `null` (no preview yet, only with LAZY, RFC 8970 §4) is
 * NIL; Tern always has the preview, so it never sends NIL.
 *
 * @param text the preview text ({@link previewText}) or null
 * @param utf8 the client enabled UTF8=ACCEPT
 */
export function formatPreview(text: string | null, utf8: boolean): string {
  return `PREVIEW ${text === null ? "NIL" : str(text, utf8)}`;
}
