/**
 * Compact keyword storage: the five IMAP system flags as bits, every other keyword in a
 * space-separated text (sorted, lowercase). JMAP keywords are lowercase (RFC 8621 §4.1.1).
 *
 * @module
 */
import { StoreError } from "./types.ts";

/** Bits of the system keywords. */
export const KEYWORD_BITS: Readonly<Record<string, number>> = {
  "$seen": 1,
  "$answered": 2,
  "$flagged": 4,
  "$draft": 8,
  "$deleted": 16,
};

/** `$seen` bit. */
export const SEEN = 1;
/** `$deleted` bit. */
export const DELETED = 16;

const SYSTEM_ORDER = ["$seen", "$answered", "$flagged", "$draft", "$deleted"] as const;

/** Keywords in compact form. */
export interface PackedKeywords {
  /** Bits of the system keywords. */
  flags: number;
  /** Space-separated, sorted; "" when none. */
  custom: string;
}

// RFC 8621 §4.1.1: keyword chars are IMAP atom chars (RFC 9051 §9 flag-keyword), 1-255 of them.
const KEYWORD_RE = /^[\x21\x23\x24\x26\x27\x2b-\x5a\x5e-\x7a\x7c\x7e]{1,255}$/;

/** Lowercases and validates one keyword (StoreError "invalid" when not an IMAP atom). */
export function normalizeKeyword(keyword: string): string {
  const k = keyword.toLowerCase();
  if (!KEYWORD_RE.test(k)) throw new StoreError("invalid", `Invalid keyword: "${keyword}"`);
  return k;
}

/** Packs a list of keywords (validated, lowercased, deduplicated). */
export function packKeywords(keywords: Iterable<string>): PackedKeywords {
  let flags = 0;
  const custom = new Set<string>();
  for (const raw of keywords) {
    const k = normalizeKeyword(raw);
    const bit = KEYWORD_BITS[k];
    if (bit !== undefined) flags |= bit;
    else custom.add(k);
  }
  return { flags, custom: [...custom].sort().join(" ") };
}

const unpackCache = new Map<string, readonly string[]>();

/** Unpacks to a fresh array: system keywords first, then the others sorted. */
export function unpackKeywords(flags: number, custom: string): string[] {
  const key = `${flags}|${custom}`;
  let cached = unpackCache.get(key);
  if (!cached) {
    const out: string[] = [];
    for (const k of SYSTEM_ORDER) if (flags & KEYWORD_BITS[k]!) out.push(k);
    if (custom) out.push(...custom.split(" "));
    cached = out;
    if (unpackCache.size < 4096) unpackCache.set(key, cached);
  }
  return cached.slice();
}

const frozenCache = new Map<string, readonly string[]>();

/** Like `unpackKeywords` but returns a shared frozen array (for cached placements). */
export function frozenKeywords(flags: number, custom: string): string[] {
  const key = `${flags}|${custom}`;
  let k = frozenCache.get(key);
  if (!k) {
    k = Object.freeze(unpackKeywords(flags, custom));
    if (frozenCache.size < 4096) frozenCache.set(key, k);
  }
  // Frozen: a caller that tries to change it gets a TypeError instead of corrupting the cache.
  return k as string[];
}

/** Applies a keyword change to a packed set. */
export function applyKeywordChange(
  current: PackedKeywords,
  change: { set: string[] } | { add?: string[]; remove?: string[] },
): PackedKeywords {
  if ("set" in change) return packKeywords(change.set);
  const add = packKeywords(change.add ?? []);
  const remove = packKeywords(change.remove ?? []);
  const custom = new Set(current.custom ? current.custom.split(" ") : []);
  for (const k of add.custom ? add.custom.split(" ") : []) custom.add(k);
  for (const k of remove.custom ? remove.custom.split(" ") : []) custom.delete(k);
  return { flags: (current.flags | add.flags) & ~remove.flags, custom: [...custom].sort().join(" ") };
}
