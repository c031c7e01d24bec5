import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeMutf7, encodeMutf7 } from "./mutf7.ts";

Deno.test("encodeMutf7 matches RFC 3501 §5.1.3 examples", () => {
  assert.equal(encodeMutf7("~peter/mail/台北/日本語"), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
  assert.equal(encodeMutf7("Café & Co"), "Caf&AOk- &- Co");
  assert.equal(encodeMutf7("INBOX"), "INBOX");
});

Deno.test("decodeMutf7 rejects invalid encodings", () => {
  assert.equal(decodeMutf7("&U,BTFw-&ZeVnLIqe-"), "台北日本語");
  assert.equal(decodeMutf7("&-"), "&");
  assert.equal(decodeMutf7("&AGE-"), null); // encodes printable "a"
  assert.equal(decodeMutf7("&U,BTF"), null); // unterminated
  assert.equal(decodeMutf7("caf\u00e9"), null); // 8-bit
});

Deno.test("decodeMutf7 inverts encodeMutf7", () => {
  fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 30 }).filter((s) => s.isWellFormed()), (s) => {
    // deno-lint-ignore no-control-regex -- control characters are not valid in mailbox names
    const printableOrOther = s.replace(/[\x00-\x1f\x7f]/g, "");
    assert.equal(decodeMutf7(encodeMutf7(printableOrOther)), printableOrOther);
  }));
});
