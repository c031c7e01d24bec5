/**
 * RFC 4314 rights as sets of letters: parsing (with the obsolete "c" and "d"), canonical order and
 * the modifications SETACL applies. Pure functions.
 *
 * @module
 */

/** Every right this server implements, in canonical order (RFC 4314 §2.1; RIGHTS=texk §2.1.1). */
export const ALL_RIGHTS = "lrswipkxtea";

/** What each right allows (RFC 4314 §2.1). */
export const RIGHT_NAMES: Readonly<Record<string, string>> = {
  l: "lookup",
  r: "read",
  s: "seen",
  w: "write",
  i: "insert",
  p: "post",
  k: "create",
  x: "delete mailbox",
  t: "delete messages",
  e: "expunge",
  a: "administer",
};

/**
 * Parses a rights string to canonical form, or null when it holds a letter that is not a right.
 * RFC 4314 §2.1.1: the obsolete "c" stands for the rights that replaced it ("k" and "x"), the
 * obsolete "d" for "t" and "e"; digits are reserved for local rights and are not implemented here.
 */
export function parseRights(text: string): string | null {
  const set = new Set<string>();
  for (const ch of text) {
    if (ALL_RIGHTS.includes(ch)) set.add(ch);
    else if (ch === "c") set.add("k").add("x");
    else if (ch === "d") set.add("t").add("e");
    else return null;
  }
  return canonical(set);
}

/** The letters of `set` in canonical order. */
export function canonical(set: Iterable<string>): string {
  const s = new Set(set);
  return [...ALL_RIGHTS].filter((r) => s.has(r)).join("");
}

/** The union of rights strings. */
export function unionRights(...rights: string[]): string {
  return canonical(rights.join(""));
}

/** True when `rights` holds every letter of `needed`. */
export function hasRights(rights: string, needed: string): boolean {
  for (const ch of needed) if (!rights.includes(ch)) return false;
  return true;
}

/** True when `rights` holds at least one letter of `any`. */
export function hasAnyRight(rights: string, any: string): boolean {
  for (const ch of any) if (rights.includes(ch)) return true;
  return false;
}

/**
 * Applies a SETACL mod-rights value (RFC 4314 §3.1): "+r" adds, "-r" removes, plain text
 * replaces. Null when the rights are not valid.
 */
export function applyModification(current: string, mod: string): string | null {
  if (mod.startsWith("+") || mod.startsWith("-")) {
    const given = parseRights(mod.slice(1));
    if (given === null) return null;
    if (mod[0] === "+") return unionRights(current, given);
    return canonical([...current].filter((r) => !given.includes(r)));
  }
  return parseRights(mod);
}

/**
 * Formats rights for GETACL/MYRIGHTS: canonical letters, followed by the obsolete "c" when "k" and
 * "x" are both held and "d" when "t" and "e" are (RFC 4314 §2.1.1, for RFC 2086 clients).
 */
export function formatRights(rights: string): string {
  let out = canonical(rights);
  if (hasRights(out, "kx")) out += "c";
  if (hasRights(out, "te")) out += "d";
  return out;
}

/**
 * The rights needed to change the given keywords (RFC 4314 §4): "s" for $seen, "t" for $deleted,
 * "w" for any other flag or keyword.
 */
export function rightsForKeywords(keywords: readonly string[]): string {
  const set = new Set<string>();
  for (const k of keywords) set.add(k === "$seen" ? "s" : k === "$deleted" ? "t" : "w");
  return canonical(set);
}
