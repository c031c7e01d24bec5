/**
 * The comparators' fast paths (core/sieve/match.ts) against the RFC 4790 definitions written out
 * plainly: i;ascii-casemap folds A-Z and nothing else, whatever the length of the value, the
 * characters in it, or the route (folded copy, memo, or in-place search for long values).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { asciiLower, containsCaseless, globMatch, matchAny, quoteRegex } from "../../core/sieve/match.ts";

/** RFC 4790 §9.2 as written: each A-Z becomes a-z, every other character stays. */
function fold(s: string): string {
  let out = "";
  for (const c of s) out += c >= "A" && c <= "Z" ? String.fromCharCode(c.charCodeAt(0) + 32) : c;
  return out;
}

/** Characters where case folding rules differ: ASCII letters, Latin-1, Turkish i, Kelvin, long s, Greek. */
const tricky = fc.constantFrom(
  "a",
  "A",
  "z",
  "Z",
  "k",
  "K",
  "s",
  "S",
  "i",
  "I",
  " ",
  "-",
  ".",
  "*",
  "?",
  "\\",
  "(",
  "[",
  "é",
  "É",
  "ß",
  "ı",
  "İ",
  "\u212a",
  "\u017f",
  "Σ",
  "σ",
  "ς",
  "ﬀ",
  "\u{1F600}",
);
const text = (max: number) => fc.array(tricky, { maxLength: max }).map((a) => a.join(""));

Deno.test("sieve i;ascii-casemap: asciiLower folds A-Z only, non-ASCII text keeps its case", () => {
  fc.assert(
    fc.property(fc.oneof(text(40), fc.string({ maxLength: 60 })), (s) => {
      assert.equal(asciiLower(s), fold(s));
    }),
    { numRuns: 3000 },
  );
  assert.equal(asciiLower("İSTANBUL \u212aELVIN"), "İstanbul \u212aelvin");
});

Deno.test("sieve i;ascii-casemap :contains and :is agree with the plain fold for short and long values", () => {
  fc.assert(
    fc.property(text(12), text(4), fc.integer({ min: 0, max: 1200 }), (v, k, pad) => {
      // Padding puts the value past the in-place search threshold half of the time.
      const value = "x".repeat(pad) + v;
      for (const type of ["contains", "is"] as const) {
        const want = type === "contains" ? fold(value).includes(fold(k)) : fold(value) === fold(k);
        assert.equal(
          matchAny({ type }, "i;ascii-casemap", [value], [k], false).matched,
          want,
          `${type} ${k}`,
        );
      }
    }),
    { numRuns: 3000 },
  );
  const long = "Lorem ipsum ".repeat(200) + "You are a LOTTERY Winner";
  assert.equal(
    matchAny({ type: "contains" }, "i;ascii-casemap", [long], ["lottery winner"], false).matched,
    true,
  );
  assert.equal(matchAny({ type: "contains" }, "i;octet", [long], ["lottery winner"], false).matched, false);
  // A non-ASCII key in a long value: only A-Z fold (É is not é).
  assert.equal(
    matchAny({ type: "contains" }, "i;ascii-casemap", [long + " CAFÉ"], ["café"], false).matched,
    false,
  );
  assert.equal(
    matchAny({ type: "contains" }, "i;ascii-casemap", [long + " cafÉ"], ["CAFÉ"], false).matched,
    true,
  );
});

Deno.test("sieve i;ascii-casemap in-place :contains: found exactly where the plain fold finds it, also when its anchor is everywhere", () => {
  // Few letters, so the key's rarest character stands at many places (each compared, and past a
  // budget the search falls back to the folded copy), in both cases and beside non-ASCII ones.
  const few = fc.constantFrom("a", "A", "b", "B", "y", "Y", " ", "\u212a", "k", "K", "İ", "i", "\r\n");
  const s = (max: number) => fc.array(few, { maxLength: max }).map((a) => a.join(""));
  fc.assert(
    fc.property(s(300), s(12), fc.integer({ min: 0, max: 3 }), (v, k, reps) => {
      const value = v.repeat(reps + 1);
      const key = asciiLower(k);
      if ([...key].some((c) => c.charCodeAt(0) > 0x7f)) return;
      assert.equal(containsCaseless(value, key), fold(value).includes(key), JSON.stringify([value, key]));
    }),
    { numRuns: 3000 },
  );
  // Thousands of near misses (past the comparison budget): the answer is still exact.
  const many = "aaaaaaab".repeat(700);
  assert.equal(containsCaseless(many, "aaaaaaaa"), false);
  assert.equal(containsCaseless(many + "AAAAAAAA", "aaaaaaaa"), true);
  assert.equal(containsCaseless("Lottery", ""), true);
  assert.equal(containsCaseless("", "y"), false);
});

/** RFC 5228 §2.7.1 `:matches` written as a regular expression over characters (code points). */
function globReference(pattern: string, value: string): boolean {
  let re = "";
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === "\\" && i + 1 < chars.length) re += quoteRegex(chars[++i]!);
    else if (c === "*") re += "[^]*";
    else if (c === "?") re += "[^]";
    else re += quoteRegex(c);
  }
  return new RegExp(`^${re}$`, "u").test(value);
}

Deno.test("sieve :matches: * and ? over characters, astral ones included, as the plain definition says", () => {
  const ch = fc.constantFrom("a", "b", "A", "*", "?", "\\", "é", "\u{1F600}", "\u{10400}", " ", "[");
  const str = (max: number) => fc.array(ch, { maxLength: max }).map((a) => a.join(""));
  fc.assert(
    fc.property(str(8), str(14), (pattern, value) => {
      assert.equal(
        globMatch(pattern, value),
        globReference(pattern, value),
        JSON.stringify([pattern, value]),
      );
      const r = matchAny({ type: "matches" }, "i;octet", [value], [pattern], true);
      assert.equal(r.matched, globReference(pattern, value));
      // ${0} is the whole value; the captures put together with the literals give the value back.
      if (r.matched && r.captures) assert.equal(r.captures[0], value);
    }),
    { numRuns: 5000 },
  );
  // A middle run may not overlap the last one.
  assert.equal(globMatch("a*b*b", "ab"), false);
  assert.equal(globMatch("*a*a", "a"), false);
  assert.equal(globMatch("*a*a", "aa"), true);
  // An emoji is one character: a literal matches it, "?" takes all of it.
  assert.equal(globMatch("*\u{1F600}*", "a\u{1F600}b"), true);
  assert.equal(globMatch("?", "\u{1F600}"), true);
  assert.equal(globMatch("??", "\u{1F600}"), false);
  assert.deepEqual(
    matchAny({ type: "matches" }, "i;octet", ["a\u{1F600}b"], ["a*\u{1F600}*"], true).captures,
    ["a\u{1F600}b", "", "b"],
  );
});
