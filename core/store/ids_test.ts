/**
 * Public ids: `parseId` accepts exactly the ids `formatId` makes (a prefix, then a safe positive
 * integer without leading zeros) and refuses everything else.
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { formatId, ID_PREFIX, type IdKind, parseId } from "./ids.ts";

const KINDS = Object.keys(ID_PREFIX) as IdKind[];

/** The rule written the plain way, to hold the parser to. */
function reference(kind: IdKind, id: string): number | null {
  if (id.length < 2 || id.length > 20 || id[0] !== ID_PREFIX[kind]) return null;
  const digits = id.slice(1);
  if (!/^[1-9][0-9]*$/.test(digits)) return null;
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : null;
}

Deno.test("parseId gives back the row id of every id formatId makes, and null for another kind", () => {
  fc.assert(
    fc.property(fc.constantFrom(...KINDS), fc.constantFrom(...KINDS), fc.maxSafeNat(), (kind, other, n) => {
      const row = n + 1 > Number.MAX_SAFE_INTEGER ? n : n + 1;
      const id = formatId(kind, row);
      assert.equal(parseId(kind, id), row);
      if (ID_PREFIX[other] !== ID_PREFIX[kind]) assert.equal(parseId(other, id), null);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("parseId agrees with the plain rule on any string, and refuses the edge cases", () => {
  const idLike = fc.tuple(
    fc.constantFrom("a", "m", "e", "t", "x", "", "E", "é"),
    fc.stringMatching(/^[0-9]{0,22}$/),
    fc.constantFrom("", " ", "x", "\u0660", "-"),
  ).map(([p, d, tail]) => p + d + tail);
  fc.assert(
    fc.property(fc.constantFrom(...KINDS), fc.oneof(idLike, fc.string({ maxLength: 24 })), (kind, id) => {
      assert.equal(parseId(kind, id), reference(kind, id), JSON.stringify(id));
    }),
    { numRuns: 5000 },
  );
  for (
    const bad of ["e", "e0", "e01", "e-1", "e1.5", "e1e3", "e 1", "e1 ", "e9007199254740992", "E1", "m1"]
  ) {
    assert.equal(parseId("message", bad), null, bad);
  }
  assert.equal(parseId("message", "e9007199254740991"), Number.MAX_SAFE_INTEGER);
  assert.equal(parseId("message", 5 as unknown as string), null);
});
