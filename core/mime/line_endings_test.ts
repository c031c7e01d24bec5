import assert from "node:assert/strict";
import fc from "fast-check";
import { crlfLength, lfToCrlf, toCrlf } from "./line_endings.ts";
import { bytes } from "./_test_util.ts";

Deno.test("toCrlf normalises LF and lone CR", () => {
  assert.deepEqual(toCrlf(bytes("a\nb\r\nc\rd")), bytes("a\r\nb\r\nc\r\nd"));
  const crlf = bytes("a\r\nb");
  assert.equal(toCrlf(crlf), crlf, "unchanged input is returned as is");
});

Deno.test("crlfLength matches toCrlf on ranges", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }).map((a) => a.map((b) => [10, 13, 65][b % 3]!)), (raw) => {
      const out = toCrlf(raw);
      assert.equal(crlfLength(raw), out.length);
      assert.ok(!/\r(?!\n)|(?<!\r)\n/.test(String.fromCharCode(...out)));
    }),
  );
  assert.equal(crlfLength(bytes("x\ny\nz"), 1, 4), 5);
});

Deno.test("lfToCrlf drops a lone CR at the very end (an unfinished line ending)", () => {
  assert.deepEqual(lfToCrlf(bytes("a\r\nb--\r\r")), bytes("a\r\nb--\r"));
  assert.deepEqual(lfToCrlf(bytes("a\nb\r")), bytes("a\r\nb"));
  assert.deepEqual(lfToCrlf(bytes("\r")), bytes(""));
});

Deno.test("lfToCrlf turns bare LF into CRLF and leaves CRLF and bare CR alone", () => {
  assert.deepEqual(lfToCrlf(bytes("\na\nb\r\nc\rd\n\n")), bytes("\r\na\r\nb\r\nc\rd\r\n\r\n"));
  const crlf = bytes("a\r\nb\rc");
  assert.equal(lfToCrlf(crlf), crlf, "input without bare LF is returned as is");
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }).map((a) => a.map((b) => [10, 13, 65][b % 3]!)), (raw) => {
      const out = lfToCrlf(raw);
      const s = String.fromCharCode(...out);
      assert.ok(!/(?<!\r)\n/.test(s), "no bare LF left");
      const want = String.fromCharCode(...raw).replace(/\r$/, "").replace(/\r\n/g, "\n");
      assert.equal(s.replace(/\r\n/g, "\n"), want);
    }),
  );
});
