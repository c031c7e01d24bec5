import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeBase64,
  decodeQuotedPrintable,
  decodeTransfer,
  encodeBase64,
  encodeQuotedPrintable,
} from "./transfer_encoding.ts";
import { bytes } from "./_test_util.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("decodeQuotedPrintable decodes escapes and soft breaks", () => {
  assert.equal(text(decodeQuotedPrintable(bytes("caf=C3=A9 =3D x=\r\ny"))), "café = xy");
  assert.equal(text(decodeQuotedPrintable(bytes("a=\ny=  \r\nz"))), "ayz");
  assert.equal(text(decodeQuotedPrintable(bytes("lower=c3=a9"))), "loweré");
});

Deno.test("decodeQuotedPrintable keeps malformed escapes and drops trailing whitespace", () => {
  assert.equal(text(decodeQuotedPrintable(bytes("a=ZZb =4"))), "a=ZZb =4");
  assert.equal(text(decodeQuotedPrintable(bytes("line  \r\nnext\t\nend "))), "line\r\nnext\nend");
  assert.equal(text(decodeQuotedPrintable(bytes("x="))), "x");
});

Deno.test("encodeQuotedPrintable keeps lines at most 76 characters", () => {
  const input = bytes("é".repeat(100) + "\r\n" + "a".repeat(200) + " \r\n=");
  const out = encodeQuotedPrintable(input);
  for (const line of out.split("\r\n")) assert.ok(line.length <= 76, line);
  assert.ok(out.includes("=20\r\n"), "trailing space encoded");
  assert.deepEqual(decodeQuotedPrintable(bytes(out)), input);
});

Deno.test("encodeQuotedPrintable round-trips arbitrary bytes", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (input, textMode) => {
      const out = encodeQuotedPrintable(input, { text: textMode });
      assert.ok(/^[\x20-\x7e\r\n\t]*$/.test(out));
      for (const line of out.split("\r\n")) assert.ok(line.length <= 76);
      assert.deepEqual(decodeQuotedPrintable(bytes(out)), input);
    }),
    { numRuns: 300 },
  );
});

Deno.test("encodeQuotedPrintable round-trips text with line breaks", () => {
  const lines = fc.array(fc.string({ maxLength: 120 }).map((s) => s.replace(/[\r\n]/g, "")), {
    maxLength: 8,
  });
  fc.assert(
    fc.property(lines, (ls) => {
      const input = bytes(ls.join("\r\n"));
      assert.deepEqual(decodeQuotedPrintable(bytes(encodeQuotedPrintable(input))), input);
    }),
  );
});

Deno.test("decodeBase64 is lenient", () => {
  assert.equal(text(decodeBase64("aGVs\r\nbG8=")), "hello");
  assert.equal(text(decodeBase64("aGVsbG8")), "hello", "missing padding");
  assert.equal(text(decodeBase64("aG!Vs*bG8=\n")), "hello", "garbage ignored");
  assert.equal(text(decodeBase64("aGk=aGk=")), "hihi", "concatenated");
  assert.deepEqual(decodeBase64("-_8="), Uint8Array.of(0xfb, 0xff), "URL-safe alphabet");
  assert.deepEqual(decodeBase64(""), new Uint8Array(0));
});

Deno.test("encodeBase64 wraps at 76 and round-trips", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), (input) => {
      const out = encodeBase64(input);
      for (const line of out.split("\r\n")) assert.ok(line.length <= 76);
      assert.deepEqual(decodeBase64(out), input);
      assert.deepEqual(decodeBase64(encodeBase64(input, 0)), input);
    }),
  );
});

Deno.test("decodeTransfer dispatches on the encoding", () => {
  assert.equal(text(decodeTransfer(bytes("aGk="), "base64")), "hi");
  assert.equal(text(decodeTransfer(bytes("h=69"), "quoted-printable")), "hi");
  assert.equal(text(decodeTransfer(bytes("h=69"), "8bit")), "h=69");
  assert.equal(text(decodeTransfer(bytes("h=69"), "x-uuencode")), "h=69");
});
