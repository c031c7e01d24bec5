import assert from "node:assert/strict";
import { esortData, formatSortedSet } from "./esort.ts";

Deno.test("formatSortedSet keeps the order and compresses only ascending runs", () => {
  assert.equal(formatSortedSet([7, 2, 3, 1, 4, 5, 6]), "7,2:3,1,4:6");
  assert.equal(formatSortedSet([6, 5, 4]), "6,5,4");
  assert.equal(formatSortedSet([9]), "9");
  assert.equal(formatSortedSet([3, 4, 4]), "3:4,4");
});

Deno.test("esortData: MIN/MAX/ALL only when something matched, COUNT and MODSEQ last", () => {
  assert.equal(
    esortData(new Set(["MIN", "MAX", "ALL", "COUNT"]), [5, 1], 9),
    " MIN 5 MAX 1 ALL 5,1 COUNT 2 MODSEQ 9",
  );
  assert.equal(esortData(new Set(["MIN", "MAX", "ALL", "COUNT"]), [], null), " COUNT 0");
});
