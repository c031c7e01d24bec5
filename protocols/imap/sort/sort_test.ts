/**
 * Unit tests of the SORT building blocks: the RFC 5256 §2.1 base subject, the i;unicode-casemap
 * collation (RFC 5051) and the ordering with REVERSE and ties (RFC 5256 §3).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { baseSubject } from "./base_subject.ts";
import { casemapKey, compareCodePoints } from "./collation.ts";
import { parseSortCriteria, type SortInput, sortOrder } from "./criteria.ts";
import { emptySummary } from "../../../core/store/sqlite/message_index.ts";

Deno.test("base subject strips RFC 5256 §2.1 leaders, blobs, trailers and [fwd: ] wrappers", () => {
  const cases: [string, string][] = [
    ["Hello", "Hello"],
    ["Re: Hello", "Hello"],
    ["RE: re: Fw: fwd: Hello", "Hello"],
    ["Re[2]: Hello", "Hello"],
    ["Re [2] : Hello", "Hello"],
    ["[list] Re: Hello", "Hello"],
    ["[list] [other] Re: Hello", "Hello"],
    ["[list] Hello", "Hello"],
    // Step 4: a blob stays when nothing would be left after it.
    ["[list]", "[list]"],
    ["Re: [list]", "[list]"],
    ["Hello (fwd)", "Hello"],
    ["Hello (FWD) (fwd)  ", "Hello"],
    ["[Fwd: Re: Hello]", "Hello"],
    ["[fwd: [fwd: Hello (fwd)]]", "Hello"],
    ["  Hello\t  world  ", "Hello world"],
    ["Re:Hello", "Hello"],
    // Not leaders: "Aw:" and "Sv:" are not in the RFC's grammar, "Re" needs its colon.
    ["Aw: Hello", "Aw: Hello"],
    ["Re Hello", "Re Hello"],
    ["Reply: Hello", "Reply: Hello"],
    ["(fwd)", ""],
    ["", ""],
  ];
  for (const [input, want] of cases) assert.equal(baseSubject(input), want, JSON.stringify(input));
});

Deno.test("base subject is idempotent and never longer than the subject", () => {
  const piece = fc.constantFrom(
    "Re:",
    "re",
    "Fwd:",
    "fw:",
    "[x]",
    "[",
    "]",
    "(fwd)",
    " ",
    "\t",
    "a",
    "é",
    ":",
    "[fwd:",
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 12 }), (parts) => {
      const s = parts.join("");
      const b = baseSubject(s);
      assert.equal(baseSubject(b), b);
      assert.ok(b.length <= s.length);
    }),
  );
});

Deno.test("i;unicode-casemap folds case and compatibility forms (RFC 5051 §2)", () => {
  assert.equal(casemapKey("café"), casemapKey("CAFE\u0301"));
  assert.equal(casemapKey("ǆemal"), casemapKey("ǅemal"));
  assert.equal(casemapKey("ｆｉｌｅ①"), casemapKey("FILE1"));
  // Titlecase comes before decomposition: the "ﬁ" ligature has no titlecase and decomposes to "fi".
  assert.equal(casemapKey("ﬁle"), "fiLE");
  // ß has no simple titlecase: it is not SS.
  assert.notEqual(casemapKey("straße"), casemapKey("STRASSE"));
  assert.ok(compareCodePoints(casemapKey("apple"), casemapKey("Banana")) < 0);
});

Deno.test("code point comparison is the UTF-8 octet order", () => {
  const utf8 = new TextEncoder();
  const octets = (a: string, b: string) => {
    const [x, y] = [utf8.encode(a), utf8.encode(b)];
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return x.length - y.length;
  };
  fc.assert(
    fc.property(fc.string({ unit: "grapheme" }), fc.string({ unit: "grapheme" }), (a, b) => {
      assert.equal(Math.sign(compareCodePoints(a, b)), Math.sign(octets(a, b)));
    }),
  );
  // U+FFFD sorts before an astral character in UTF-8, after it in UTF-16 code units.
  assert.ok(compareCodePoints("\uFFFD", "\u{1F600}") < 0);
});

function input(size: number, receivedAt = 0, subject = ""): SortInput {
  return { size, receivedAt: new Date(receivedAt), summary: { ...emptySummary(), subject } };
}

Deno.test("sortOrder keeps equal keys in sequence order, REVERSE or not (RFC 5256 §3)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 30 }),
      fc.boolean(),
      (sizes, reverse) => {
        const order = sortOrder([{ key: "SIZE", reverse }], sizes.map((n) => input(n)));
        for (let i = 1; i < order.length; i++) {
          const [a, b] = [order[i - 1]!, order[i]!];
          const cmp = sizes[a]! - sizes[b]!;
          assert.ok(reverse ? cmp >= 0 : cmp <= 0);
          if (cmp === 0) assert.ok(a < b, "ties in sequence order");
        }
      },
    ),
  );
});

Deno.test("sortOrder uses the next criterion on a tie", () => {
  const items = [input(10, 3, "b"), input(10, 1, "Re: a"), input(5, 2, "A")];
  assert.deepEqual(sortOrder([{ key: "SIZE", reverse: false }, { key: "ARRIVAL", reverse: true }], items), [
    2,
    0,
    1,
  ]);
  assert.deepEqual(
    sortOrder([{ key: "SUBJECT", reverse: false }, { key: "ARRIVAL", reverse: false }], items),
    [
      1,
      2,
      0,
    ],
  );
});

Deno.test("sort criteria parse REVERSE before a key only", () => {
  const list = (...v: string[]) => ({
    type: "list" as const,
    items: v.map((value) => ({ type: "atom" as const, value })),
  });
  assert.deepEqual(parseSortCriteria(list("reverse", "date", "SUBJECT")), [
    { key: "DATE", reverse: true },
    { key: "SUBJECT", reverse: false },
  ]);
  assert.throws(() => parseSortCriteria(list("DATE", "REVERSE")), /REVERSE without a sort key/);
  assert.throws(() => parseSortCriteria(list()), /Empty sort criteria list/);
  assert.throws(() => parseSortCriteria(undefined), /Expected sort criteria list/);
});
