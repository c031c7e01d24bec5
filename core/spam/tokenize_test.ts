import assert from "node:assert/strict";
import { MAX_TOKENS, tokenize, words } from "./tokenize.ts";

const enc = new TextEncoder();

Deno.test("words: lowercased, 3..24 characters, no bare numbers, prices and dotted words kept", () => {
  assert.deepEqual(words("Buy CHEAP pills at $9.99 now!! a an 12345 example.com"), [
    "buy",
    "cheap",
    "pills",
    "$9.99",
    "now",
    "example.com",
  ]);
  assert.deepEqual(words("Grüße aus Köln"), ["grüße", "aus", "köln"]);
});

Deno.test("tokenize: subject and sender domain tokens apart from body words; encoded text decoded; distinct", () => {
  const raw = enc.encode(
    "From: Promo <deals@Spam.Example>\r\nSubject: =?UTF-8?Q?Cheap_offer?=\r\n" +
      "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
      "cheap cheap offer =E2=82=AC100\r\n",
  );
  assert.deepEqual(tokenize(raw), [
    "subject:cheap",
    "subject:offer",
    "from:spam.example",
    "cheap",
    "offer",
    "€100",
  ]);
});

Deno.test("tokenize: HTML parts are read as text, and a huge message gives at most MAX_TOKENS tokens", () => {
  const html = enc.encode(
    "Subject: x\r\nContent-Type: text/html\r\n\r\n<p>Claim <b>jackpot</b><script>ignored()</script></p>\r\n",
  );
  assert.ok(tokenize(html).includes("jackpot"));
  const many = Array.from({ length: 10_000 }, (_, i) => `word${i}`).join(" ");
  assert.equal(tokenize(enc.encode(`Subject: x\r\n\r\n${many}\r\n`)).length, MAX_TOKENS);
});
