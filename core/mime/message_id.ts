/**
 * Message identifier lists (RFC 5322 §3.6.4: Message-ID, In-Reply-To, References), parsed
 * leniently.
 *
 * @module
 */
import { stripComments } from "./rfc2231.ts";

/**
 * Parses a msg-id list into ids without angle brackets. Ids in `<…>` are taken as written (inner
 * whitespace removed); without any brackets, whitespace- or comma-separated words containing "@"
 * are taken (a common violation). Phrases between ids (obsolete In-Reply-To, RFC 5322 §4.5.4)
 * are ignored. Never throws.
 *
 * @example
 * ```ts
 * import { parseMessageIds } from "./message_id.ts";
 * parseMessageIds("<a@x.example> <b@y.example>"); // ["a@x.example", "b@y.example"]
 * ```
 *
 * @param value the raw header value
 * @returns ids in order, duplicates kept
 */
export function parseMessageIds(value: string): string[] {
  const v = stripComments(value.replace(/[\r\n]/g, " "));
  const ids: string[] = [];
  const re = /<([^<>]*)>/g;
  for (const m of v.matchAll(re)) {
    const id = m[1]!.replace(/\s+/g, "");
    if (id !== "") ids.push(id);
  }
  if (ids.length > 0) return ids;
  for (const word of v.split(/[\s,]+/)) {
    const w = word.replace(/^[<"]+|[>"]+$/g, "");
    if (w.includes("@") && w.length > 2) ids.push(w);
  }
  return ids;
}

/**
 * Formats ids as a msg-id list for a header: `<a@x> <b@y>`.
 *
 * @param ids ids without brackets
 * @returns header text
 */
export function formatMessageIds(ids: readonly string[]): string {
  return ids.map((id) => `<${id}>`).join(" ");
}
