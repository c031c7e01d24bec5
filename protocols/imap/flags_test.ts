import assert from "node:assert/strict";
import { flagToKeyword, formatFlags, keywordToFlag } from "./flags.ts";

Deno.test("flagToKeyword maps system flags and lowercases keywords", () => {
  assert.deepEqual(flagToKeyword("\\Seen"), { ok: true, keyword: "$seen" });
  assert.deepEqual(flagToKeyword("\\DELETED"), { ok: true, keyword: "$deleted" });
  assert.deepEqual(flagToKeyword("$Forwarded"), { ok: true, keyword: "$forwarded" });
  assert.deepEqual(flagToKeyword("\\Recent"), { ok: true, keyword: null });
  assert.deepEqual(flagToKeyword("\\Bogus"), { ok: false });
  assert.deepEqual(flagToKeyword("bad]flag"), { ok: false });
  assert.deepEqual(flagToKeyword("has*wild"), { ok: false });
});

Deno.test("keywordToFlag shows registered keywords in their usual spelling", () => {
  assert.equal(keywordToFlag("$seen"), "\\Seen");
  assert.equal(keywordToFlag("$mdnsent"), "$MDNSent");
  assert.equal(keywordToFlag("nonjunk"), "NonJunk");
  assert.equal(keywordToFlag("custom"), "custom");
  assert.equal(formatFlags(["$answered", "$junk"]), "(\\Answered $Junk)");
  assert.equal(formatFlags(["$seen", "$junk"], true), "(\\Seen \\Recent $Junk)");
  assert.equal(formatFlags([], true), "(\\Recent)");
});
