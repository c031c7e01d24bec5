/**
 * Header field formatting for composing messages: RFC 5322 §2.2.3 folding and RFC 2047 encoding of
 * unstructured text.
 *
 * @module
 */
import { encodeEncodedWords } from "./encoded_words.ts";

/**
 * Folds a header field so that lines stay within `max` characters where possible (RFC 5322 §2.1.1:
 * 78 SHOULD, 998 MUST), breaking only before existing whitespace. Returns `Name: value` with CRLF
 * line breaks and no final CRLF.
 *
 * @param name field name
 * @param value field value (without leading space; no CR or LF inside)
 * @param max preferred maximum line length, default 78
 * @returns the folded field
 */
export function foldHeader(name: string, value: string, max = 78): string {
  const clean = value.replace(/[\r\n]+/g, " ");
  const text = `${name}: ${clean}`;
  if (text.length <= max) return text;
  const lines: string[] = [];
  let line = "";
  let first = true;
  // Split before each run of whitespace so that a fold always lands on existing whitespace; the
  // first word stays on the field name's line.
  for (const piece of ` ${clean}`.split(/(?=[ \t]+)/)) {
    if (first) {
      // Fold right after the colon only when that makes the first word fit.
      if (name.length + 1 + piece.length > max && piece.length <= max) {
        lines.push(`${name}:`);
        line = piece;
      } else {
        line = `${name}:${piece}`;
      }
      first = false;
    } else if (line.length + piece.length > max) {
      lines.push(line);
      line = piece;
    } else {
      line += piece;
    }
  }
  lines.push(line);
  return lines.join("\r\n");
}

/**
 * Formats an unstructured header field (Subject, Comments, …): RFC 2047 encoded words when the
 * text is not plain ASCII, then folded.
 *
 * @param name field name
 * @param text Unicode text
 * @returns the field, CRLF-folded, without final CRLF
 */
export function formatUnstructured(name: string, text: string): string {
  return foldHeader(name, encodeEncodedWords(text.replace(/[\r\n]+/g, " ")));
}
