/**
 * Sieve comparators and match types: `i;octet`, `i;ascii-casemap` (RFC 4790), `i;ascii-numeric`
 * (RFC 4790 §9.1), `:is`, `:contains`, `:matches` (RFC 5228 §2.7.1), `:regex` (draft-ietf-sieve-regex,
 * as Pigeonhole has it), `:value` and `:count` (RFC 5231). Pure functions; `:matches` runs in
 * O(n·m) time (no backtracking blow-up) and returns the wildcard captures for RFC 5229 match
 * variables; `:regex` patterns and subjects are bounded in length.
 *
 * @module
 */

/** The comparators Tern implements. */
export type Comparator = "i;octet" | "i;ascii-casemap" | "i;ascii-numeric";

/** A match type with its relational operator where it has one. */
export type MatchType =
  | { type: "is" | "contains" | "matches" | "regex" }
  | { type: "value" | "count"; op: string };

/** A run-time error of a script: the message gets the implicit keep. */
export class SieveRuntimeError extends Error {
  /** @param message why the script failed */
  constructor(message: string) {
    super(message);
    this.name = "SieveRuntimeError";
  }
}

/** Longest regular expression accepted. */
export const MAX_REGEX_LENGTH = 1024;
/** Subjects longer than this are cut before a `:regex` match (bounds the work of a bad pattern). */
export const MAX_REGEX_SUBJECT = 16 * 1024;
/** `:matches` with captures uses a table of this many cells at most; beyond it, no captures. */
const MAX_CAPTURE_CELLS = 4_000_000;

// deno-lint-ignore no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

/** RFC 4790 §9.2: i;ascii-casemap folds only A-Z (a non-ASCII letter keeps its case). */
export function asciiLower(s: string): string {
  // Pure ASCII (nearly every header and key): the native lowercasing is the same fold.
  if (!NON_ASCII.test(s)) return s.toLowerCase();
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

function fold(cmp: Comparator, s: string): string {
  return cmp === "i;ascii-casemap" ? asciiLower(s) : s;
}

/** RFC 4790 §9.1.1: the numeric value of the leading digits, or null ("positive infinity"). */
export function numericValue(s: string): bigint | null {
  const m = /^[0-9]+/.exec(s);
  return m ? BigInt(m[0]) : null;
}

/** Orders two values under a comparator: negative, 0 or positive. */
export function compareValues(cmp: Comparator, a: string, b: string): number {
  if (cmp === "i;ascii-numeric") {
    const x = numericValue(a);
    const y = numericValue(b);
    if (x === null) return y === null ? 0 : 1;
    if (y === null) return -1;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = fold(cmp, a);
  const y = fold(cmp, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** RFC 5231 §5: applies a relational operator to an ordering result. */
export function relation(op: string, order: number): boolean {
  switch (op.toLowerCase()) {
    case "gt":
      return order > 0;
    case "ge":
      return order >= 0;
    case "lt":
      return order < 0;
    case "le":
      return order <= 0;
    case "eq":
      return order === 0;
    case "ne":
      return order !== 0;
  }
  throw new SieveRuntimeError(`unknown relational operator "${op}"`);
}

/** The outcome of matching: whether any value matched any key, and the match variables of the first. */
export interface MatchResult {
  matched: boolean;
  /** `${0}`…: the whole match and each wildcard or group, for `:matches` and `:regex`. */
  captures: string[] | null;
}

/**
 * Matches values against keys (RFC 5228 §2.7: true when any value matches any key). For `:count`
 * the number of values is compared with each key (RFC 5231 §4.2, i;ascii-numeric).
 */
export function matchAny(
  match: MatchType,
  cmp: Comparator,
  values: readonly string[],
  keys: readonly string[],
  wantCaptures: boolean,
  lower: (s: string) => string = asciiLower,
): MatchResult {
  if (match.type === "count") {
    const n = String(values.length);
    return {
      matched: keys.some((k) => relation(match.op, compareValues("i;ascii-numeric", n, k))),
      captures: null,
    };
  }
  if (
    cmp === "i;ascii-numeric" &&
    (match.type === "contains" || match.type === "matches" || match.type === "regex")
  ) {
    // RFC 4790 §9.1: the numeric comparator supports equality and ordering only.
    throw new SieveRuntimeError(`comparator i;ascii-numeric cannot do :${match.type}`);
  }
  if (match.type === "contains" || (match.type === "is" && cmp !== "i;ascii-numeric")) {
    // The common cases: each key and each value folded once, no result objects per pair.
    const folded = cmp === "i;ascii-casemap";
    const ks = folded ? foldedKeys(keys) : keys;
    for (const v of values) {
      if (folded && match.type === "contains" && v.length > LONG_VALUE) {
        // A long value (a body): folded by the engine's own lowercasing where that is the same.
        if (containsFolded(v, keys, ks)) return MATCHED;
        continue;
      }
      const fv = folded ? lower(v) : v;
      for (const k of ks) {
        if (match.type === "is" ? fv === k : fv.includes(k)) return MATCHED;
      }
    }
    return NO_MATCH;
  }
  for (const v of values) {
    for (const k of keys) {
      const r = matchOne(match, cmp, v, k, wantCaptures);
      if (r.matched) return r;
    }
  }
  return NO_MATCH;
}

/** Values longer than this are searched in place (no folded copy, no memo: hashing them costs as much). */
const LONG_VALUE = 1024;

/**
 * i;ascii-casemap `:contains` of any of `keys` (`folded`: the same keys folded) in a long value
 * (a body), without folding the value: see {@link containsCaseless}.
 */
function containsFolded(value: string, keys: readonly string[], folded: readonly string[]): boolean {
  let exact: string | null = null;
  for (let i = 0; i < keys.length; i++) {
    const k = folded[i]!;
    const found = NON_ASCII.test(k)
      ? (exact ??= asciiLower(value)).includes(k)
      : containsCaseless(value, k, anchorOf(k));
    if (found) return true;
  }
  return false;
}

/** Where a folded US-ASCII key is looked for first: its rarest character, in both cases. */
interface Anchor {
  /** The character's index in the key. */
  at: number;
  /** Its lowercase code. */
  lower: number;
  /** Its uppercase code (the same for a character that is not a letter). */
  upper: number;
}

/**
 * How common a US-ASCII character is in mail text, 0 (space) to 27 (rare): letters by English
 * letter frequency, line ends and common punctuation in between, anything else counted rare.
 */
const COMMONNESS = (() => {
  const t = new Uint8Array(128);
  const order = " etaoinsrhldcumfpgwybvkxjqz";
  for (let i = 0; i < order.length; i++) t[order.charCodeAt(i)] = i;
  for (const c of "\r\n.,") t[c.charCodeAt(0)] = 8;
  for (let c = 0; c < 128; c++) if (t[c] === 0 && c !== 0x20) t[c] = 20;
  return t;
})();

const anchors = new Map<string, Anchor>();

/** The anchor of a folded US-ASCII key (remembered: a compiled script's keys come back). */
function anchorOf(key: string): Anchor {
  let a = anchors.get(key);
  if (a === undefined) {
    let at = 0;
    for (let i = 1; i < key.length; i++) {
      if (COMMONNESS[key.charCodeAt(i)]! > COMMONNESS[key.charCodeAt(at)]!) at = i;
    }
    const lower = key.charCodeAt(at);
    const upper = lower >= 0x61 && lower <= 0x7a ? lower - 0x20 : lower;
    a = { at, lower, upper };
    if (anchors.size < 1024) anchors.set(key, a);
  }
  return a;
}

/**
 * i;ascii-casemap `:contains` of a folded US-ASCII key in a value, without a folded copy of the
 * value: each place where the key's rarest character stands (either case; a native search) is
 * compared with the key, A-Z folded (RFC 4790 §9.2: only A-Z fold, and a character outside
 * US-ASCII never equals a key character). The same answer as `asciiLower(value).includes(key)`;
 * should the comparisons add up to more than a few passes over the value (a key of common
 * characters), that is what answers.
 */
export function containsCaseless(value: string, key: string, anchor: Anchor = anchorOf(key)): boolean {
  const m = key.length;
  if (m === 0) return true;
  const last = value.length - m;
  if (last < 0) return false;
  const { at, lower, upper } = anchor;
  let budget = 4 * value.length;
  for (let pass = 0; pass < (upper === lower ? 1 : 2); pass++) {
    const ch = String.fromCharCode(pass === 0 ? lower : upper);
    for (let p = value.indexOf(ch, at); p >= 0 && p - at <= last; p = value.indexOf(ch, p + 1)) {
      const start = p - at;
      let i = 0;
      while (i < m) {
        let c = value.charCodeAt(start + i);
        if (c >= 0x41 && c <= 0x5a) c += 0x20;
        if (c !== key.charCodeAt(i)) break;
        i++;
      }
      if (i === m) return true;
      budget -= i + 1;
      if (budget < 0) return asciiLower(value).includes(key);
    }
  }
  return false;
}

/** Key lists of compiled scripts are the same arrays run after run: each is folded once. */
const foldedKeyLists = new WeakMap<readonly string[], readonly string[]>();

function foldedKeys(keys: readonly string[]): readonly string[] {
  let f = foldedKeyLists.get(keys);
  if (f === undefined) {
    f = keys.map(asciiLower);
    foldedKeyLists.set(keys, f);
  }
  return f;
}

const MATCHED: MatchResult = Object.freeze({ matched: true, captures: null });
const NO_MATCH: MatchResult = Object.freeze({ matched: false, captures: null });

function matchOne(
  match: MatchType,
  cmp: Comparator,
  v: string,
  k: string,
  wantCaptures: boolean,
): MatchResult {
  switch (match.type) {
    case "is":
      return { matched: compareValues(cmp, v, k) === 0, captures: null };
    case "contains":
      return { matched: fold(cmp, v).includes(fold(cmp, k)), captures: null };
    case "value":
      return { matched: relation(match.op, compareValues(cmp, v, k)), captures: null };
    case "matches": {
      const fv = fold(cmp, v);
      const fk = fold(cmp, k);
      if (!globMatch(fk, fv)) return { matched: false, captures: null };
      return { matched: true, captures: wantCaptures ? globCaptures(fk, fv, v) : null };
    }
    case "regex": {
      if (k.length > MAX_REGEX_LENGTH) throw new SieveRuntimeError("regular expression too long");
      const unsafe = regexProblem(k);
      if (unsafe) throw new SieveRuntimeError(`regular expression refused: ${unsafe}`);
      let re: RegExp;
      try {
        re = new RegExp(k, cmp === "i;ascii-casemap" ? "iu" : "u");
      } catch {
        throw new SieveRuntimeError(`bad regular expression "${k}"`);
      }
      const m = re.exec(v.length > MAX_REGEX_SUBJECT ? v.slice(0, MAX_REGEX_SUBJECT) : v);
      if (!m) return { matched: false, captures: null };
      return { matched: true, captures: wantCaptures ? m.slice(0, 10).map((x) => x ?? "") : null };
    }
    case "count":
      return { matched: false, captures: null };
  }
}

/** A `:matches` pattern as tokens: literal characters, `?` and `*` (a backslash quotes the next one). */
type GlobTok = { lit: string } | { any: true } | { star: true };

/** A `:matches` pattern worked out: its tokens, and its literal runs when it has no `?`. */
interface GlobPlan {
  tokens: readonly GlobTok[];
  /** The literal text between the `*`s (first, middle ones, last), or null with a `?`. */
  segments: readonly string[] | null;
}

/** Plans of the patterns seen (a compiled script's keys come back run after run); bounded. */
const globPatterns = new Map<string, GlobPlan>();

function globPlan(p: string): GlobPlan {
  let plan = globPatterns.get(p);
  if (plan === undefined) {
    const tokens = tokenizeGlob(p);
    let segments: string[] | null = [""];
    for (const t of tokens) {
      if ("any" in t) {
        segments = null;
        break;
      }
      if ("star" in t) segments.push("");
      else segments[segments.length - 1] += t.lit;
    }
    plan = { tokens, segments };
    if (globPatterns.size < 1024) globPatterns.set(p, plan);
  }
  return plan;
}

function globTokens(p: string): readonly GlobTok[] {
  return globPlan(p).tokens;
}

/** Tokens by character (code point), as the value is matched: `?` is one character. */
function tokenizeGlob(p: string): GlobTok[] {
  const chars = [...p];
  const out: GlobTok[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === "\\" && i + 1 < chars.length) out.push({ lit: chars[++i]! });
    else if (c === "*") out.push({ star: true });
    else if (c === "?") out.push({ any: true });
    else out.push({ lit: c });
  }
  return out;
}

/**
 * `:matches` of a pattern without `?`: the value starts with the first run, ends with the last,
 * and holds the middle ones in order between them, each at its leftmost place (leftmost is never
 * worse for the runs after it). Searched in UTF-16 units: a run is whole characters, so it can
 * only be found at a character's start.
 */
function starMatch(segments: readonly string[], value: string): boolean {
  const first = segments[0]!;
  if (segments.length === 1) return value === first;
  const last = segments[segments.length - 1]!;
  if (value.length < first.length + last.length || !value.startsWith(first) || !value.endsWith(last)) {
    return false;
  }
  const end = value.length - last.length;
  let pos = first.length;
  for (let i = 1; i < segments.length - 1; i++) {
    const seg = segments[i]!;
    const at = value.indexOf(seg, pos);
    if (at < 0 || at + seg.length > end) return false;
    pos = at + seg.length;
  }
  return true;
}

/** RFC 5228 §2.7.1 `:matches` without captures: linear-space greedy matching with one backtrack point. */
export function globMatch(pattern: string, value: string): boolean {
  const plan = globPlan(pattern);
  if (plan.segments !== null) return starMatch(plan.segments, value);
  const p = plan.tokens;
  const s = [...value];
  let pi = 0;
  let si = 0;
  let starP = -1;
  let starS = 0;
  while (si < s.length) {
    const t = p[pi];
    if (t && "star" in t) {
      starP = pi++;
      starS = si;
    } else if (t && ("any" in t || t.lit === s[si])) {
      pi++;
      si++;
    } else if (starP >= 0) {
      pi = starP + 1;
      si = ++starS;
    } else {
      return false;
    }
  }
  while (pi < p.length && "star" in p[pi]!) pi++;
  return pi === p.length;
}

/**
 * RFC 5229 §3.2 captures of a `:matches` that succeeded: `${0}` the whole value, then one per
 * wildcard, each expanding as little as the rest of the pattern allows, from the left. Uses a table of feasible (pattern, value)
 * positions so the work is O(n·m); values too large for the table give no captures.
 */
function globCaptures(foldedPattern: string, foldedValue: string, original: string): string[] | null {
  const p = globTokens(foldedPattern);
  const s = [...foldedValue];
  const orig = [...original];
  const n = s.length;
  const m = p.length;
  if ((n + 1) * (m + 1) > MAX_CAPTURE_CELLS) return null;
  // ok[i*(n+1)+j]: p[i..] matches s[j..]
  const w = n + 1;
  const ok = new Uint8Array((m + 1) * w);
  ok[m * w + n] = 1;
  for (let i = m - 1; i >= 0; i--) {
    const t = p[i]!;
    for (let j = n; j >= 0; j--) {
      let r = 0;
      if ("star" in t) r = ok[(i + 1) * w + j]! | (j < n ? ok[i * w + j + 1]! : 0);
      else if (j < n && ("any" in t || t.lit === s[j])) r = ok[(i + 1) * w + j + 1]!;
      ok[i * w + j] = r;
    }
  }
  if (!ok[0]) return null;
  const caps = [original];
  let j = 0;
  for (let i = 0; i < m; i++) {
    const t = p[i]!;
    if ("star" in t) {
      // The shortest run that still lets the rest match (RFC 5229 §3.2's "[*] *" example gives
      // "acme-users", not "acme-users] [fwd").
      let k = j;
      while (k < n && !ok[(i + 1) * w + k]) k++;
      caps.push(orig.slice(j, k).join(""));
      j = k;
    } else if ("any" in t) {
      caps.push(orig[j]!);
      j++;
    } else {
      j++;
    }
  }
  return caps;
}

/** RFC 5229 §4.1 `:quotewildcard`: escapes `*`, `?` and `\`. */
export function quoteWildcard(s: string): string {
  return s.replace(/[*?\\]/g, (c) => "\\" + c);
}

/** `:quoteregex` (regex draft §3): escapes the regular expression metacharacters. */
export function quoteRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, (c) => "\\" + c);
}

/**
 * Why a `:regex` pattern is refused, or null. JavaScript regular expressions backtrack and a match
 * cannot be interrupted, so the patterns that can take exponential time are refused up front: a
 * quantified group that itself contains a quantifier or an alternation (`(a+)+`, `(a|aa)*`), and
 * backreferences. A heuristic on the pattern's text, conservative: it may refuse a harmless one.
 */
export function regexProblem(pattern: string): string | null {
  /** Per open group: whether it holds a quantifier or an alternation. */
  const groups: boolean[] = [];
  let lastGroupRisky = false;
  let afterGroup = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\") {
      const next = pattern[i + 1] ?? "";
      if (/[1-9]/.test(next) || next === "k") return "backreferences are not allowed";
      i++;
      afterGroup = false;
      continue;
    }
    if (c === "[") {
      // A character class: skip to its end (escapes inside included).
      let j = i + 1;
      if (pattern[j] === "^") j++;
      if (pattern[j] === "]") j++;
      while (j < pattern.length && pattern[j] !== "]") j += pattern[j] === "\\" ? 2 : 1;
      i = j;
      afterGroup = false;
      continue;
    }
    const quantifier = c === "*" || c === "+" || c === "?" ||
      (c === "{" && /^\{\d+(,\d*)?\}/.test(pattern.slice(i)));
    if (quantifier) {
      // "?" right after "(" opens a special group, not a quantifier.
      if (c === "?" && pattern[i - 1] === "(") continue;
      if (afterGroup && lastGroupRisky) return "nested quantifiers";
      if (groups.length > 0) groups[groups.length - 1] = true;
      afterGroup = false;
      continue;
    }
    if (c === "(") {
      groups.push(false);
      afterGroup = false;
    } else if (c === ")") {
      lastGroupRisky = groups.pop() ?? false;
      if (lastGroupRisky && groups.length > 0) groups[groups.length - 1] = true;
      afterGroup = true;
    } else if (c === "|") {
      if (groups.length > 0) groups[groups.length - 1] = true;
      afterGroup = false;
    } else {
      afterGroup = false;
    }
  }
  return null;
}
