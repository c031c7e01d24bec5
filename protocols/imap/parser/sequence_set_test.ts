import assert from "node:assert/strict";
import { expandRanges, formatSequenceSet, parseSequenceSet } from "./sequence_set.ts";

Deno.test("parseSequenceSet accepts RFC 9051 forms and $", () => {
  assert.deepEqual(parseSequenceSet("1,3:5,7:*"), {
    saved: false,
    ranges: [{ start: 1, end: 1 }, { start: 3, end: 5 }, { start: 7, end: null }],
  });
  assert.deepEqual(parseSequenceSet("$"), { saved: true });
  for (const bad of ["", "0", "1:", ",1", "a", "1:0", "4294967296", "1,,2"]) {
    assert.equal(parseSequenceSet(bad), null, bad);
  }
});

Deno.test("expandRanges resolves * and reversed ranges", () => {
  const s = parseSequenceSet("4:2,*,9:*");
  assert.ok(s && !s.saved);
  assert.deepEqual(expandRanges(s.ranges, 6), [2, 3, 4, 6]);
  assert.deepEqual(expandRanges(s.ranges, 10, [1, 3, 9, 10]), [3, 9, 10]);
});

Deno.test("formatSequenceSet compresses runs", () => {
  assert.equal(formatSequenceSet([1, 2, 3, 5, 7, 8]), "1:3,5,7:8");
  assert.equal(formatSequenceSet([]), "");
});
