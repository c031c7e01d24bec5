import assert from "node:assert/strict";
import { formatParam, parseContentValue, parseParams, stripComments } from "./rfc2231.ts";

Deno.test("parseContentValue reads type and parameters", () => {
  assert.deepEqual(parseContentValue(' Text/Plain; charset="us-ascii" (Plain text); format=flowed'), {
    value: "text/plain",
    params: { charset: "us-ascii", format: "flowed" },
  });
  assert.deepEqual(parseContentValue('attachment; filename="a \\"b\\".txt"'), {
    value: "attachment",
    params: { filename: 'a "b".txt' },
  });
});

Deno.test("parseContentValue joins RFC 2231 continuations in numeric order", () => {
  const v = parseContentValue(
    "application/x-stuff; title*2=\"isn't it!\"; title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*0*=us-ascii'en'This%20is%20even%20more%20",
  );
  assert.equal(v.params["title"], "This is even more ***fun*** isn't it!");
});

Deno.test("parseContentValue decodes RFC 2231 charsets across sections", () => {
  const v = parseContentValue("attachment; filename*0*=utf-8''%E2%82; filename*1*=%AC%20x.pdf");
  assert.equal(v.params["filename"], "€ x.pdf");
  assert.equal(parseContentValue("a; name*=iso-8859-1''caf%E9").params["name"], "café");
  assert.equal(parseContentValue("a; name*=''plain").params["name"], "plain");
});

Deno.test("parseContentValue decodes RFC 2047 words in parameters (a common violation)", () => {
  assert.equal(parseContentValue('a; name="=?utf-8?B?0YTQsNC50LsucGRm?="').params["name"], "файл.pdf");
  assert.equal(parseContentValue("a; name==?utf-8?Q?caf=C3=A9?=").params["name"], "café");
});

Deno.test("parseContentValue tolerates missing semicolons, spaces and garbage", () => {
  assert.deepEqual(parseContentValue("text/plain charset=utf-8").params, { charset: "utf-8" });
  assert.deepEqual(parseContentValue("text/plain; name=my file.txt").params, { name: "my file.txt" });
  assert.deepEqual(parseContentValue("text/plain;; ;charset = utf-8;junk").params, { charset: "utf-8" });
  assert.deepEqual(parseContentValue('text/plain; name="unterminated').params, { name: "unterminated" });
  assert.deepEqual(parseContentValue(""), { value: "", params: {} });
  assert.equal(parseContentValue("text/plain; charset=a; charset=b").params["charset"], "a");
});

Deno.test("parseParams parses a bare parameter list", () => {
  assert.deepEqual(parseParams('; a=1; b="2"'), { a: "1", b: "2" });
  assert.deepEqual(parseParams("a=1"), { a: "1" });
});

Deno.test("stripComments removes nested comments outside quotes", () => {
  assert.equal(stripComments('a (b (c) d) "e (f)"'), 'a   "e (f)"');
});

Deno.test("formatParam quotes or uses RFC 2231 notation", () => {
  assert.equal(formatParam("charset", "utf-8"), "charset=utf-8");
  assert.equal(formatParam("filename", "a b.txt"), 'filename="a b.txt"');
  assert.equal(formatParam("filename", "€.txt"), "filename*=utf-8''%E2%82%AC.txt");
  assert.equal(
    parseContentValue("a; " + formatParam("filename", '€ "x".txt')).params["filename"],
    '€ "x".txt',
  );
});
