import assert from "node:assert/strict";
import { topOf } from "./top.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const msg = "Subject: hi\r\nFrom: a@b\r\n\r\nline1\r\nline2\r\nline3\r\n";

Deno.test("topOf with 0 lines returns the header and the blank line", () => {
  assert.equal(dec.decode(topOf(enc.encode(msg), 0)), "Subject: hi\r\nFrom: a@b\r\n\r\n");
});

Deno.test("topOf returns the first n body lines", () => {
  assert.equal(dec.decode(topOf(enc.encode(msg), 2)), "Subject: hi\r\nFrom: a@b\r\n\r\nline1\r\nline2\r\n");
});

Deno.test("topOf with more lines than the body returns the whole message", () => {
  assert.equal(dec.decode(topOf(enc.encode(msg), 99)), msg);
});

Deno.test("topOf handles bare LF and a message without body", () => {
  assert.equal(dec.decode(topOf(enc.encode("A: 1\n\nx\ny\n"), 1)), "A: 1\n\nx\n");
  assert.equal(dec.decode(topOf(enc.encode("A: 1\r\nB: 2\r\n"), 3)), "A: 1\r\nB: 2\r\n");
});
