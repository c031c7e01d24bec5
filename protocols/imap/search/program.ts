/**
 * SEARCH keys (RFC 9051 §6.4.4, plus rev1's NEW/OLD/RECENT, RFC 8474 EMAILID/THREADID and RFC 5032
 * OLDER/YOUNGER, RFC 8514 SAVEDBEFORE/SAVEDON/SAVEDSINCE/SAVEDATESUPPORTED) parsed
 * into a tree. Nesting depth and key count are bounded by the command parser.
 *
 * @module
 */
import type { Token } from "../parser/tokens.ts";
import { bad, no } from "../errors.ts";
import { parseImapDate } from "../parser/date.ts";
import { parseSequenceSet, type SequenceSet } from "../parser/sequence_set.ts";
import { flagToKeyword } from "../flags.ts";
import { charsetDecoder } from "../../../core/mime/charset.ts";

/** A search key. */
export type SearchKey =
  | { op: "all" }
  | { op: "none" }
  | { op: "and"; keys: SearchKey[] }
  | { op: "or"; a: SearchKey; b: SearchKey }
  | { op: "not"; key: SearchKey }
  | { op: "keyword"; keyword: string; present: boolean }
  | { op: "recent"; present: boolean }
  | { op: "seq"; set: SequenceSet }
  | { op: "uid"; set: SequenceSet }
  | { op: "size"; larger: boolean; n: number }
  | { op: "internal"; cmp: "before" | "on" | "since"; day: Date }
  | { op: "within"; older: boolean; seconds: number }
  | { op: "sent"; cmp: "before" | "on" | "since"; day: Date }
  | { op: "saved"; cmp: "before" | "on" | "since"; day: Date }
  | { op: "savedatesupported" }
  | { op: "text"; field: "subject" | "from" | "to" | "cc" | "bcc" | "body" | "text"; value: string }
  | { op: "header"; name: string; value: string }
  | { op: "modseq"; min: number }
  | { op: "emailid"; id: string }
  | { op: "threadid"; id: string };

/** The parsed SEARCH command. */
export interface SearchProgram {
  /** A MODSEQ key was used (RFC 7162 §3.1.5): the response reports the highest MODSEQ. */
  usesModseq: boolean;
  /** ESEARCH RETURN options (uppercase), or null for a plain SEARCH. */
  returns: Set<string> | null;
  /** RFC 5267 §4.4: the `PARTIAL low:high` range (1-based, low <= high), or null. */
  partial?: [number, number] | null;
  /** The search key (AND of the top-level keys). */
  key: SearchKey;
}

const FLAG_KEYS: Record<string, [string, boolean]> = {
  ANSWERED: ["$answered", true],
  DELETED: ["$deleted", true],
  DRAFT: ["$draft", true],
  FLAGGED: ["$flagged", true],
  SEEN: ["$seen", true],
  UNANSWERED: ["$answered", false],
  UNDELETED: ["$deleted", false],
  UNDRAFT: ["$draft", false],
  UNFLAGGED: ["$flagged", false],
  UNSEEN: ["$seen", false],
};

const TEXT_KEYS: Record<string, "subject" | "from" | "to" | "cc" | "bcc" | "body" | "text"> = {
  SUBJECT: "subject",
  FROM: "from",
  TO: "to",
  CC: "cc",
  BCC: "bcc",
  BODY: "body",
  TEXT: "text",
};

class Reader {
  i = 0;
  usesModseq = false;
  /** The CHARSET's decoder for search strings (null: UTF-8 as parsed). */
  decoder: TextDecoder | null = null;
  constructor(readonly t: Token[]) {}
  next(what: string): Token {
    const t = this.t[this.i++];
    if (!t) throw bad(`Missing ${what}`);
    return t;
  }
  str(what: string): string {
    const t = this.next(what);
    if (t.type === "list") throw bad(`Expected ${what}`);
    // RFC 9051 §6.4.4: strings are in the CHARSET given (atoms are ASCII whatever it is).
    return t.type === "string" && this.decoder ? this.decoder.decode(t.bytes) : t.value;
  }
  atom(what: string): string {
    const t = this.next(what);
    if (t.type !== "atom") throw bad(`Expected ${what}`);
    return t.value;
  }
  date(): Date {
    const d = parseImapDate(this.str("date"));
    if (!d) throw bad("Invalid date");
    return d;
  }
  get done(): boolean {
    return this.i >= this.t.length;
  }
}

function parseKey(r: Reader, depth: number): SearchKey {
  if (depth > 64) throw bad("Search keys nested too deeply", "LIMIT");
  const t = r.next("search key");
  if (t.type === "list") {
    const inner = new Reader(t.items);
    inner.decoder = r.decoder;
    const keys: SearchKey[] = [];
    while (!inner.done) keys.push(parseKey(inner, depth + 1));
    if (keys.length === 0) throw bad("Empty search key list");
    return keys.length === 1 ? keys[0]! : { op: "and", keys };
  }
  if (t.type === "string") throw bad("Unexpected string in search");
  const up = t.value.toUpperCase();
  const flag = FLAG_KEYS[up];
  if (flag) return { op: "keyword", keyword: flag[0], present: flag[1] };
  const field = TEXT_KEYS[up];
  if (field) return { op: "text", field, value: r.str("search string") };
  switch (up) {
    case "ALL":
      return { op: "all" };
    // RFC 3501 §6.4.4: \Recent keys (the session's recent messages; none in rev2, RFC 9051 §2.3.2).
    case "OLD":
      return { op: "recent", present: false };
    case "RECENT":
      return { op: "recent", present: true };
    case "NEW":
      return {
        op: "and",
        keys: [{ op: "recent", present: true }, { op: "keyword", keyword: "$seen", present: false }],
      };
    case "NOT":
      return { op: "not", key: parseKey(r, depth + 1) };
    case "OR":
      return { op: "or", a: parseKey(r, depth + 1), b: parseKey(r, depth + 1) };
    case "KEYWORD":
    case "UNKEYWORD": {
      const k = flagToKeyword(r.atom("keyword"));
      if (!k.ok || !k.keyword) throw bad("Invalid keyword");
      return { op: "keyword", keyword: k.keyword, present: up === "KEYWORD" };
    }
    case "LARGER":
    case "SMALLER": {
      const v = r.atom("size");
      if (!/^\d{1,20}$/.test(v)) throw bad("Invalid size");
      return { op: "size", larger: up === "LARGER", n: Number(v) };
    }
    case "BEFORE":
      return { op: "internal", cmp: "before", day: r.date() };
    case "ON":
      return { op: "internal", cmp: "on", day: r.date() };
    case "SINCE":
      return { op: "internal", cmp: "since", day: r.date() };
    case "OLDER":
    case "YOUNGER": {
      // RFC 5032 (Formal Syntax): ("OLDER" / "YOUNGER") SP nz-number, an interval in seconds.
      const v = r.atom("interval");
      if (!/^[1-9]\d{0,9}$/.test(v) || Number(v) > 4294967295) throw bad("Invalid interval");
      return { op: "within", older: up === "OLDER", seconds: Number(v) };
    }
    case "SENTBEFORE":
      return { op: "sent", cmp: "before", day: r.date() };
    case "SENTON":
      return { op: "sent", cmp: "on", day: r.date() };
    case "SENTSINCE":
      return { op: "sent", cmp: "since", day: r.date() };
    // RFC 8514 §4: the save date's day, disregarding time and timezone.
    case "SAVEDBEFORE":
      return { op: "saved", cmp: "before", day: r.date() };
    case "SAVEDON":
      return { op: "saved", cmp: "on", day: r.date() };
    case "SAVEDSINCE":
      return { op: "saved", cmp: "since", day: r.date() };
    case "SAVEDATESUPPORTED":
      return { op: "savedatesupported" };
    case "HEADER": {
      const name = r.str("header name");
      return { op: "header", name, value: r.str("header value") };
    }
    case "UID": {
      const set = parseSequenceSet(r.atom("UID set"));
      if (!set) throw bad("Invalid UID set");
      return { op: "uid", set };
    }
    case "MODSEQ": {
      // RFC 7162 §3.1.5: MODSEQ [entry-name entry-type] mod-sequence; the entry is accepted and ignored.
      if (r.t[r.i]?.type === "string") {
        r.i++;
        const type = r.atom("entry type").toLowerCase();
        if (type !== "priv" && type !== "shared" && type !== "all") throw bad("Invalid entry type");
      }
      const v = r.atom("mod-sequence");
      if (!/^\d{1,19}$/.test(v)) throw bad("Invalid mod-sequence");
      r.usesModseq = true;
      return { op: "modseq", min: Number(v) };
    }
    case "EMAILID":
      return { op: "emailid", id: r.str("email id") };
    case "THREADID":
      return { op: "threadid", id: r.str("thread id") };
    default: {
      const set = parseSequenceSet(t.value);
      if (!set) throw bad(`Unknown search key ${t.value}`);
      return { op: "seq", set };
    }
  }
}

/** RETURN options: RFC 4731 §3.1, RFC 5182 SAVE, RFC 5267 §4.2 CONTEXT, §4.3 UPDATE, §4.4 PARTIAL. */
const RETURN_OPTS = new Set(["MIN", "MAX", "ALL", "COUNT", "SAVE", "CONTEXT", "UPDATE", "PARTIAL"]);

/**
 * RFC 5267 §4.4 (Formal Syntax): `partial-range = nz-number ":" nz-number`; the two ends in either
 * order name the same range (as Dovecot reads `4:2`).
 */
export function parsePartialRange(text: string): [number, number] {
  const m = /^([1-9]\d{0,9}):([1-9]\d{0,9})$/.exec(text);
  if (!m || Number(m[1]) > 4294967295 || Number(m[2]) > 4294967295) throw bad("PARTIAL range broken");
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a <= b ? [a, b] : [b, a];
}

/** Parses SEARCH arguments: `[RETURN (opts)] [CHARSET c] keys...`. */
export function parseSearch(args: Token[]): SearchProgram {
  const r = new Reader(args);
  let returns: Set<string> | null = null;
  let partial: [number, number] | null = null;
  const first = args[0];
  if (first?.type === "atom" && first.value.toUpperCase() === "RETURN") {
    r.i++;
    const l = r.next("return options");
    if (l.type !== "list") throw bad("Expected RETURN options");
    returns = new Set();
    for (let k = 0; k < l.items.length; k++) {
      const o = l.items[k]!;
      if (o.type !== "atom" || !RETURN_OPTS.has(o.value.toUpperCase())) throw bad("Unknown RETURN option");
      const opt = o.value.toUpperCase();
      if (returns.has(opt)) throw bad(`Duplicate RETURN option ${opt}`);
      returns.add(opt);
      if (opt === "PARTIAL") {
        // RFC 5267 §4.4: PARTIAL takes a range.
        const range = l.items[++k];
        if (range?.type !== "atom") throw bad("PARTIAL range broken");
        partial = parsePartialRange(range.value);
      }
    }
    // RFC 5267 §4.4: PARTIAL returns a part of what ALL would; both together make no sense.
    if (returns.has("PARTIAL") && returns.has("ALL")) throw bad("PARTIAL conflicts with ALL");
    // RFC 4731 §3.1: RETURN () means ALL; so does a bare CONTEXT, a hint only (RFC 5267 §4.2).
    if ([...returns].every((o) => o === "CONTEXT")) returns.add("ALL");
  }
  const cs = args[r.i];
  if (cs?.type === "atom" && cs.value.toUpperCase() === "CHARSET") {
    r.i++;
    const charset = r.str("charset").toUpperCase();
    if (charset !== "UTF-8" && charset !== "US-ASCII") {
      // Any charset the MIME decoder knows (ISO-8859-1, windows-1252, KOI8-R…), as Dovecot takes.
      const decoder = charsetDecoder(charset);
      if (!decoder) throw no("Unsupported charset", "BADCHARSET (UTF-8 US-ASCII)");
      r.decoder = decoder;
    }
  }
  const keys: SearchKey[] = [];
  while (!r.done) keys.push(parseKey(r, 0));
  if (keys.length === 0) throw bad("Missing search key");
  return {
    returns,
    partial,
    usesModseq: r.usesModseq,
    key: keys.length === 1 ? keys[0]! : { op: "and", keys },
  };
}
