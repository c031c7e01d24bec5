/**
 * SORT criteria (RFC 5256 §3, RFC 5957 §3): parsing the criteria list, the sort key of each
 * criterion for one message, and the comparison. Pure functions.
 *
 * @module
 */
import type { EmailAddress, MessageSummary } from "../../../core/store/types.ts";
import type { Token } from "../parser/tokens.ts";
import { bad } from "../errors.ts";
import { baseSubject } from "./base_subject.ts";
import { casemapKey, compareCodePoints } from "./collation.ts";

/** A sort key name. */
export type SortKeyName =
  | "ARRIVAL"
  | "CC"
  | "DATE"
  | "FROM"
  | "SIZE"
  | "SUBJECT"
  | "TO"
  | "DISPLAYFROM"
  | "DISPLAYTO";

/** One sort criterion: a key, maybe reversed. */
export interface SortCriterion {
  key: SortKeyName;
  reverse: boolean;
}

const KEYS = new Set<string>([
  "ARRIVAL",
  "CC",
  "DATE",
  "FROM",
  "SIZE",
  "SUBJECT",
  "TO",
  "DISPLAYFROM",
  "DISPLAYTO",
]);

/**
 * Parses the parenthesised criteria list (RFC 5256 §4: `sort-criteria = "(" sort-criterion
 * *(SP sort-criterion) ")"`, `sort-criterion = ["REVERSE" SP] sort-key`).
 */
export function parseSortCriteria(t: Token | undefined): SortCriterion[] {
  if (!t || t.type !== "list") throw bad("Expected sort criteria list");
  const out: SortCriterion[] = [];
  let reverse = false;
  for (const item of t.items) {
    if (item.type !== "atom") throw bad("Invalid sort criterion");
    const up = item.value.toUpperCase();
    if (up === "REVERSE" && !reverse) {
      reverse = true;
      continue;
    }
    if (!KEYS.has(up)) throw bad(`Unknown sort criterion ${item.value}`);
    out.push({ key: up as SortKeyName, reverse });
    reverse = false;
  }
  if (reverse) throw bad("REVERSE without a sort key");
  if (out.length === 0) throw bad("Empty sort criteria list");
  return out;
}

/** What a message contributes to sorting: the placement's data and the stored summary. */
export interface SortInput {
  /** INTERNALDATE. */
  receivedAt: Date;
  /** RFC822.SIZE. */
  size: number;
  /** The header summary (null when not needed by the criteria). */
  summary: MessageSummary | null;
  /** The RFC 5256 §2.2 sent date (ms) when known without the summary (`Store.sentDates`). */
  sentDate?: number;
}

/**
 * Whether any criterion needs the header summary: ARRIVAL and SIZE come from the mailbox view, and
 * DATE from `sentDate` when `haveDates`.
 */
export function needsSummary(criteria: readonly SortCriterion[], haveDates = false): boolean {
  return criteria.some((c) => c.key !== "ARRIVAL" && c.key !== "SIZE" && !(haveDates && c.key === "DATE"));
}

/** RFC 5256 §3: addr-mailbox, the local part of the first address (the empty string if none). */
function firstMailbox(list: readonly EmailAddress[] | undefined): string {
  const email = list?.[0]?.email ?? "";
  const at = email.lastIndexOf("@");
  return at < 0 ? email : email.slice(0, at);
}

/**
 * RFC 5957 §3: the display name of the first address, decoded; without one (or an empty one),
 * the addr-spec (mailbox@host) stands in; no address is the empty string.
 */
function firstDisplay(list: readonly EmailAddress[] | undefined): string {
  const a = list?.[0];
  if (!a) return "";
  return a.name !== null && a.name.trim() !== "" ? a.name : a.email;
}

/** The value of one criterion for one message: a number or a collation key. */
export function sortValue(key: SortKeyName, m: SortInput): number | string {
  const s = m.summary;
  switch (key) {
    case "ARRIVAL":
      return m.receivedAt.getTime();
    case "SIZE":
      return m.size;
    case "DATE":
      // RFC 5256 §3: the Date: header's time in UTC; when missing or unparsable, INTERNALDATE.
      return m.sentDate ?? (s?.sentAt ?? m.receivedAt).getTime();
    case "SUBJECT":
      // RFC 5256 §3: the base subject (§2.1) under i;unicode-casemap.
      return casemapKey(baseSubject(s?.subject ?? ""));
    case "FROM":
      return casemapKey(firstMailbox(s?.from));
    case "TO":
      return casemapKey(firstMailbox(s?.to));
    case "CC":
      return casemapKey(firstMailbox(s?.cc));
    case "DISPLAYFROM":
      return casemapKey(firstDisplay(s?.from));
    case "DISPLAYTO":
      return casemapKey(firstDisplay(s?.to));
  }
}

/** Compares two values of the same criterion. */
export function compareValues(a: number | string, b: number | string): number {
  if (typeof a === "number" && typeof b === "number") return a < b ? -1 : a > b ? 1 : 0;
  return compareCodePoints(String(a), String(b));
}

/**
 * Orders messages: `items[i]` is the i-th message in sequence order. Returns the indices sorted
 * by the criteria; RFC 5256 §3: messages with equal keys stay in sequence order, whatever
 * REVERSE says (REVERSE reverses only its criterion).
 */
export function sortOrder(criteria: readonly SortCriterion[], items: readonly SortInput[]): number[] {
  const columns = criteria.map((c) => items.map((m) => sortValue(c.key, m)));
  const idx = items.map((_, i) => i);
  idx.sort((x, y) => {
    for (let k = 0; k < criteria.length; k++) {
      const col = columns[k]!;
      const r = compareValues(col[x]!, col[y]!);
      if (r !== 0) return criteria[k]!.reverse ? -r : r;
    }
    return x - y;
  });
  return idx;
}
