import assert from "node:assert/strict";
import fc from "fast-check";
import { foldHeader, formatUnstructured } from "./header_format.ts";
import { parseHeaderBlock } from "./header.ts";
import { asText } from "./header_forms.ts";
import { bytes } from "./_test_util.ts";

Deno.test("foldHeader folds at whitespace within 78 characters", () => {
  const v = "word ".repeat(40).trim();
  const folded = foldHeader("Subject", v);
  for (const line of folded.split("\r\n")) assert.ok(line.length <= 78, line);
  assert.equal(folded.replace(/\r\n/g, ""), `Subject: ${v}`);
  assert.equal(foldHeader("X", "short"), "X: short");
  const long = "x".repeat(100);
  assert.equal(foldHeader("X", long), `X: ${long}`, "no whitespace: not broken");
});

Deno.test("formatUnstructured round-trips through the parser", () => {
  fc.assert(
    fc.property(fc.string({ unit: "grapheme", maxLength: 200 }), (s) => {
      const text = s.replace(/[\r\n]/g, " ").replace(/\s+/g, " ").trim();
      const field = formatUnstructured("Subject", text);
      for (const line of field.split("\r\n")) assert.ok(line.length <= 78 || !/ /.test(line.trim()), line);
      const raw = bytes(field + "\r\n\r\n");
      const parsed = parseHeaderBlock(raw, 0, raw.length).fields[0]!;
      assert.equal(asText(parsed.value).replace(/\s+/g, " "), text.normalize("NFC").replace(/\s+/g, " "));
    }),
    { numRuns: 200 },
  );
});
