import assert from "node:assert/strict";
import { preparePassword, saslprep } from "./saslprep.ts";

// RFC 4013 §3 examples.
Deno.test("saslprep follows the RFC 4013 examples", () => {
  assert.equal(saslprep("I\u00ADX"), "IX"); // SOFT HYPHEN mapped to nothing
  assert.equal(saslprep("user"), "user");
  assert.equal(saslprep("USER"), "USER"); // case preserved
  assert.equal(saslprep("\u00AA"), "a"); // NFKC
  assert.equal(saslprep("\u2168"), "IX"); // NFKC
  assert.equal(saslprep("\u0007"), null); // prohibited control
});

Deno.test("saslprep maps non-ASCII spaces to SPACE", () => {
  assert.equal(saslprep("a\u00A0b\u3000c"), "a b c");
});

Deno.test("saslprep rejects private use, lone surrogates and bidi controls", () => {
  assert.equal(saslprep("a\uE000"), null);
  assert.equal(saslprep("a\uD800"), null);
  assert.equal(saslprep("a\u202Eb"), null);
  assert.equal(saslprep("\u{E0041}"), null);
});

Deno.test("saslprep makes composed and decomposed forms equal", () => {
  assert.equal(saslprep("caf\u00E9"), saslprep("cafe\u0301"));
});

Deno.test("preparePassword falls back to the raw password when SASLprep rejects it", () => {
  assert.equal(preparePassword("tab\there"), "tab\there");
  assert.equal(preparePassword("I\u00ADX"), "IX");
});
