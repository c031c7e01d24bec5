import assert from "node:assert/strict";
import { StoreError } from "../types.ts";
import { applyKeywordChange, packKeywords, unpackKeywords } from "./keywords.ts";

Deno.test("packKeywords lowercases, deduplicates and puts system flags in bits", () => {
  const p = packKeywords(["$Seen", "$FLAGGED", "Work", "work", "$Forwarded"]);
  assert.equal(p.flags, 1 | 4);
  assert.equal(p.custom, "$forwarded work");
  assert.deepEqual(unpackKeywords(p.flags, p.custom), ["$seen", "$flagged", "$forwarded", "work"]);
});

Deno.test("packKeywords rejects characters outside IMAP atoms", () => {
  for (const bad of ["", "a b", "a(b", "a]b", "a%b", "a*b", 'a"b', "a\\b", "é", "x".repeat(256)]) {
    assert.throws(() => packKeywords([bad]), StoreError, bad);
  }
});

Deno.test("applyKeywordChange sets, adds and removes", () => {
  const start = packKeywords(["$seen", "a"]);
  assert.deepEqual(applyKeywordChange(start, { set: ["b"] }), { flags: 0, custom: "b" });
  assert.deepEqual(applyKeywordChange(start, { add: ["$deleted", "c"], remove: ["$seen", "a"] }), {
    flags: 16,
    custom: "c",
  });
});

Deno.test("unpackKeywords returns a fresh array each time", () => {
  const a = unpackKeywords(1, "");
  a.push("mutated");
  assert.deepEqual(unpackKeywords(1, ""), ["$seen"]);
});
