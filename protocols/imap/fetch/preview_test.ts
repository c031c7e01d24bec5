import assert from "node:assert/strict";
import { formatPreview, MAX_PREVIEW_CHARS, previewText } from "./preview.ts";

Deno.test("previewText drops control characters and whitespace at both ends", () => {
  assert.equal(previewText(" a\0b\x07 c\x7f "), "a b c");
  assert.equal(previewText("ends in a space "), "ends in a space");
});

Deno.test("previewText keeps at most 256 code points and never splits a surrogate pair", () => {
  const long = "😀".repeat(300);
  const out = previewText(long);
  assert.equal(Array.from(out).length, MAX_PREVIEW_CHARS);
  assert.equal(out, "😀".repeat(256));
  // A cut just after a space leaves no trailing space.
  assert.equal(previewText("x".repeat(255) + " yyy"), "x".repeat(255));
});

Deno.test("formatPreview: quoted ASCII, literal for 8-bit without UTF8=ACCEPT, NIL for null", () => {
  assert.equal(formatPreview('say "hi"', false), 'PREVIEW "say \\"hi\\""');
  assert.equal(formatPreview("é", false), "PREVIEW {2}\r\né");
  assert.equal(formatPreview("é", true), 'PREVIEW "é"');
  assert.equal(formatPreview(null, false), "PREVIEW NIL");
});
