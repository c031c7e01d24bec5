/**
 * The text and header conditions of a message filter (RFC 8621 §4.4.1 text fields, IMAP SEARCH
 * text and header keys, RFC 9051 §6.4.4) evaluated on a message's own bytes, with the semantics
 * the stores' indexed queries have: the same derived text (`indexMessage`, `searchRow`), the
 * needle trimmed, a case-insensitive substring (ASCII case for an ASCII needle, as SQLite's LIKE;
 * Unicode lowercase otherwise), header values as written or with RFC 2047 words decoded.
 *
 * For messages the index no longer has: one destroyed by another session while an IMAP session
 * still shows it (its bytes kept by the session's expunge hold, core/store/expunge_holds.ts).
 * `headerMatches` is also SQLite's `tern_header` function (core/store/sqlite/query.ts).
 *
 * @module
 */
import { decodeEncodedWords } from "../mime/encoded_words.ts";
import { indexMessage, type MessageIndex, type SearchRow, searchRow, withoutNul } from "./message_index.ts";
import type { MessageCondition, MessageFilter } from "./types.ts";

/** The condition fields `textFilterMatches` answers. */
export type TextCondition = Pick<
  MessageCondition,
  "text" | "from" | "to" | "cc" | "bcc" | "subject" | "body" | "header" | "anyHeader"
>;

const TEXT_FIELDS = new Set(["text", "from", "to", "cc", "bcc", "subject", "body", "header", "anyHeader"]);

/**
 * `tern_header(headers, name, value)`: 1 when a header `name` exists (and contains `value`). With
 * `name` "" it is 1 when `value` occurs anywhere in the text, ignoring case (Unicode lowercase).
 * `headers` is `MessageIndex.headers` (names lowercased, one unfolded field a line).
 */
export function headerMatches(headers: unknown, name: unknown, value: unknown): number {
  if (typeof headers !== "string" || typeof name !== "string") return 0;
  // RFC 9051 §6.4.4 (as Dovecot does): values match as written or with RFC 2047 words decoded.
  const has = (text: string, needle: string) =>
    text.toLowerCase().includes(needle) ||
    (text.includes("=?") && decodeEncodedWords(text).toLowerCase().includes(needle));
  if (name === "") return typeof value === "string" && has(headers, value.toLowerCase()) ? 1 : 0;
  const prefix = `${name}: `;
  const needle = typeof value === "string" ? value.toLowerCase() : null;
  for (const line of headers.split("\n")) {
    if (!line.startsWith(prefix)) continue;
    if (needle === null || has(line.slice(prefix.length), needle)) return 1;
  }
  return 0;
}

/** ASCII lowercase only (SQLite's LIKE folds no other case). */
function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/** Whether `text` holds the (trimmed) needle, as the indexed text search decides. */
function textHas(text: string, needle: string): boolean {
  // deno-lint-ignore no-control-regex -- non-ASCII is what is tested here
  if (/[^\x00-\x7f]/.test(needle)) return headerMatches(text, "", needle) === 1;
  return asciiLower(text).includes(asciiLower(needle));
}

/** Lazily derived text of one message. */
class Derived {
  #index: MessageIndex | null = null;
  #row: SearchRow | null = null;
  constructor(readonly raw: Uint8Array) {}
  get index(): MessageIndex {
    return this.#index ??= indexMessage(this.raw);
  }
  get row(): SearchRow {
    return this.#row ??= searchRow(this.raw, this.index.summary);
  }
}

function conditionMatches(d: Derived, c: TextCondition): boolean {
  for (const key of Object.keys(c)) {
    if (!TEXT_FIELDS.has(key)) throw new TypeError(`textFilterMatches: "${key}" is not a text condition`);
  }
  const text = (columns: (keyof SearchRow)[], needle: string | undefined) => {
    if (needle === undefined) return true;
    const n = withoutNul(needle).trim();
    return n === "" || columns.some((col) => textHas(d.row[col], n));
  };
  if (!text(["subject", "from", "to", "cc", "bcc", "body"], c.text)) return false;
  if (!text(["from"], c.from) || !text(["to"], c.to) || !text(["cc"], c.cc)) return false;
  if (!text(["bcc"], c.bcc) || !text(["subject"], c.subject) || !text(["body"], c.body)) return false;
  if (c.header !== undefined) {
    const [name, value] = c.header;
    const v = value === undefined ? null : withoutNul(value);
    if (headerMatches(d.index.headers, name.toLowerCase(), v) === 0) return false;
  }
  if (c.anyHeader !== undefined && headerMatches(d.index.headers, "", withoutNul(c.anyHeader)) === 0) {
    return false;
  }
  return true;
}

function filterMatches(d: Derived, f: MessageFilter): boolean {
  if (!("operator" in f)) return conditionMatches(d, f);
  switch (f.operator) {
    case "AND":
      return f.conditions.every((c) => filterMatches(d, c));
    case "OR":
      return f.conditions.some((c) => filterMatches(d, c));
    case "NOT":
      return !f.conditions.some((c) => filterMatches(d, c));
  }
}

/**
 * Whether a message matches a filter of text and header conditions (AND, OR, NOT of them), judged
 * on its bytes as the stores' indexes judge it. Throws TypeError on any other condition field.
 */
export function textFilterMatches(raw: Uint8Array, filter: MessageFilter): boolean {
  return filterMatches(new Derived(raw), filter);
}
