import assert from "node:assert/strict";
import fc from "fast-check";
import { collapsedPrefix } from "./collapse_prefix.ts";

function reference(s: string, max: number): string {
  return Array.from(s.replace(/\s+/g, " ").trim()).slice(0, max).join("");
}

Deno.test("collapsedPrefix collapses, trims and cuts at code points", () => {
  assert.equal(collapsedPrefix("  a \t\r\n b  c  ", 10), "a b c");
  assert.equal(collapsedPrefix("a b c", 2), "a ");
  assert.equal(collapsedPrefix("\u00a0\u3000x\u2028y", 5), "x y");
  assert.equal(collapsedPrefix("😀😀😀", 2), "😀😀");
  assert.equal(collapsedPrefix("", 5), "");
  assert.equal(collapsedPrefix("   ", 5), "");
});

Deno.test("collapsedPrefix equals the regex-and-Array.from reference on any text", () => {
  const chars = fc.constantFrom(
    " ",
    "\t",
    "\n",
    "\r",
    "\u00a0",
    "\u2003",
    "\ufeff",
    "a",
    "é",
    "😀",
    "\ud800",
    "\udc00",
  );
  fc.assert(
    fc.property(fc.array(chars, { maxLength: 60 }).map((a) => a.join("")), fc.nat(40), (s, max) => {
      assert.equal(collapsedPrefix(s, max), reference(s, max));
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.string({ unit: "binary", maxLength: 80 }), fc.nat(50), (s, max) => {
      assert.equal(collapsedPrefix(s, max), reference(s, max));
    }),
    { numRuns: 2000 },
  );
});
