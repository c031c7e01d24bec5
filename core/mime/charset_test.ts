import assert from "node:assert/strict";
import {
  charsetDecoder,
  decodeCharset,
  decodeText,
  decodeUtf8OrLatin1,
  repairHeaderText,
} from "./charset.ts";
import { latin1Bytes } from "./_test_util.ts";

Deno.test("charsetDecoder resolves aliases", () => {
  for (
    const name of [
      "utf8",
      "UTF-8",
      "cp1252",
      "win-1251",
      "iso8859_15",
      "ISO_8859-2:1987",
      "ms932",
      "cp936",
      "koi8-r",
    ]
  ) {
    assert.ok(charsetDecoder(name) !== null, name);
  }
  assert.equal(charsetDecoder("x-unknown-thing"), null);
  assert.equal(charsetDecoder("iso-2022-kr"), null, "WHATWG replacement decoder refused");
});

Deno.test("decodeText decodes with the declared charset", () => {
  assert.equal(decodeText(latin1Bytes("caf\xe9"), "iso-8859-1"), "café");
  assert.equal(decodeText(latin1Bytes("\xcf\xf0\xe8"), "windows-1251"), "При");
  assert.equal(decodeText(latin1Bytes("\x1b$B$F$9$H\x1b(B"), "iso-2022-jp"), "てすと");
});

Deno.test("decodeText falls back to UTF-8 or windows-1252", () => {
  assert.equal(decodeText(new TextEncoder().encode("café"), null), "café");
  assert.equal(decodeText(new TextEncoder().encode("café"), "us-ascii"), "café");
  assert.equal(decodeText(latin1Bytes("caf\xe9 \x80"), "x-bogus"), "café €");
});

Deno.test("decodeUtf8OrLatin1 keeps invalid UTF-8 recoverable", () => {
  assert.equal(decodeUtf8OrLatin1(new TextEncoder().encode("Grüße")), "Grüße");
  assert.equal(decodeUtf8OrLatin1(latin1Bytes("Gr\xfc\x80")), "Gr\xfc\x80");
});

Deno.test("repairHeaderText picks lossy UTF-8 or windows-1252", () => {
  const utf8WithJunk = decodeUtf8OrLatin1(
    Uint8Array.of(...new TextEncoder().encode("Юникод запрещен"), 0xf1),
  );
  assert.equal(repairHeaderText(utf8WithJunk), "Юникод запрещен\ufffd");
  assert.equal(repairHeaderText("caf\xe9 \x80"), "café €");
  assert.equal(repairHeaderText("plain"), "plain");
  assert.equal(repairHeaderText("Grüße"), "Grüße");
});

Deno.test("decodeCharset decodes UTF-7 (RFC 2152)", () => {
  const b = (s: string) => new TextEncoder().encode(s);
  assert.equal(decodeCharset(b("Hi Mom -+Jjo--!"), "utf-7"), "Hi Mom -\u263a-!");
  assert.equal(decodeCharset(b("+ZeVnLIqe-"), "UTF-7"), "日本語");
  assert.equal(decodeCharset(b("A+ImIDkQ."), "unicode-1-1-utf-7"), "A\u2262\u0391.");
  assert.equal(decodeCharset(b("1 +- 1"), "utf-7"), "1 + 1");
  assert.equal(decodeCharset(b("x"), "x-nonsense"), null);
});
