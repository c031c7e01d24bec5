import assert from "node:assert/strict";
import { decodeTransfer } from "./decode.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

Deno.test("BINARY quoted-printable drops trailing whitespace and padded soft breaks (RFC 2045 §6.7)", () => {
  // dovecot/imaptest's quoted-printable case: Dovecot's BINARY.SIZE[1] is 65.
  const body =
    "hello  \r\nbar=\r\n\r\nfoo\t=\r\nbar\r\nfoo\t \t= \r\n=62\r\nfoo = \t\r\nbar\r\nfoo =\r\n=62\r\n" +
    "foo  \r\nbar=\r\n\r\nfoo_bar\r\n";
  const out = decodeTransfer(enc.encode(body), "quoted-printable")!;
  assert.equal(
    dec.decode(out),
    "hello\r\nbar\r\nfoo\tbar\r\nfoo\t \tb\r\nfoo bar\r\nfoo b\r\nfoo\r\nbar\r\nfoo_bar\r\n",
  );
  assert.equal(out.length, 65);
});

Deno.test("BINARY knows 7bit, 8bit, binary and base64, and nothing else", () => {
  assert.equal(dec.decode(decodeTransfer(enc.encode("aGk=\r\n"), "BASE64")!), "hi");
  assert.equal(dec.decode(decodeTransfer(enc.encode("x"), "8bit")!), "x");
  assert.equal(decodeTransfer(enc.encode("x"), "x-uuencode"), null);
});
