import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeEncodedWords, decodeHeaderText, encodeEncodedWords } from "./encoded_words.ts";

Deno.test("decodeEncodedWords decodes B and Q words", () => {
  assert.equal(decodeEncodedWords("=?utf-8?B?SsO2cmc=?="), "Jörg");
  assert.equal(decodeEncodedWords("=?ISO-8859-1?Q?Andr=E9?= Pirard"), "André Pirard");
  assert.equal(decodeEncodedWords("=?utf-8?q?a_b?="), "a b");
  assert.equal(decodeEncodedWords("plain text"), "plain text");
});

Deno.test("decodeEncodedWords joins adjacent words and drops the whitespace between them", () => {
  // RFC 2047 §8 examples.
  assert.equal(decodeEncodedWords("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)"), "(ab)");
  assert.equal(decodeEncodedWords("(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)"), "(ab)");
  assert.equal(decodeEncodedWords("(=?ISO-8859-1?Q?a?= b)"), "(a b)");
  assert.equal(decodeEncodedWords("=?ISO-8859-1?Q?a?= =?utf-8?Q?b?="), "ab");
  // A UTF-8 character split across two words.
  assert.equal(
    decodeEncodedWords("=?utf-8?B?ww==?= =?utf-8?B?qQ==?="),
    decodeEncodedWords("=?utf-8?Q?=C3?= =?utf-8?Q?=A9?="),
  );
  assert.equal(decodeEncodedWords("=?utf-8?Q?=C3?= =?utf-8?Q?=A9?="), "é");
});

Deno.test("decodeEncodedWords handles many charsets", () => {
  assert.equal(decodeEncodedWords("=?iso-2022-jp?B?GyRCJEYkOSRIGyhC?="), "てすと");
  assert.equal(decodeEncodedWords("=?koi8-r?B?8NLJ18XU?="), "Привет");
  assert.equal(decodeEncodedWords("=?windows-1251?Q?=CF=F0=E8=E2=E5=F2?="), "Привет");
  assert.equal(decodeEncodedWords("=?gbk?B?xOO6ww==?="), "你好");
  assert.equal(decodeEncodedWords("=?gb2312?B?xOO6ww==?="), "你好");
  assert.equal(decodeEncodedWords("=?utf-8*en?Q?hi?="), "hi", "RFC 2231 language suffix");
});

Deno.test("decodeEncodedWords leaves unknown charsets and broken words raw", () => {
  assert.equal(decodeEncodedWords("=?x-klingon?Q?abc?="), "=?x-klingon?Q?abc?=");
  assert.equal(decodeEncodedWords("=?utf-8?X?abc?="), "=?utf-8?X?abc?=");
  assert.equal(decodeEncodedWords("=?utf-8?Q?abc"), "=?utf-8?Q?abc");
});

Deno.test("decodeEncodedWords decodes words glued to text and with spaces inside", () => {
  assert.equal(decodeEncodedWords("Re:=?utf-8?Q?caf=C3=A9?="), "Re:café");
  assert.equal(decodeEncodedWords("=?utf-8?Q?hello world?="), "hello world");
});

Deno.test("decodeHeaderText unfolds and trims", () => {
  assert.equal(decodeHeaderText(" =?utf-8?Q?a?=\r\n =?utf-8?Q?b?= "), "ab");
});

Deno.test("encodeEncodedWords leaves ASCII alone and round-trips Unicode", () => {
  assert.equal(encodeEncodedWords("Hello"), "Hello");
  fc.assert(
    fc.property(fc.string({ unit: "grapheme", maxLength: 80 }), (s) => {
      const enc = encodeEncodedWords(s);
      for (const word of enc.split(" ")) if (word.startsWith("=?")) assert.ok(word.length <= 75, word);
      assert.ok(/^[\x20-\x7e]*$/.test(enc));
      const plain = /^[\x20-\x7e]*$/.test(s) && !s.includes("=?");
      assert.equal(plain ? enc : decodeEncodedWords(enc), s);
    }),
    { numRuns: 300 },
  );
});
