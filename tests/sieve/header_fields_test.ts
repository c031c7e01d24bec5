/**
 * The Sieve header reader (core/sieve/header_fields.ts) against the MIME header parser it stands
 * in for: over the shared corpus and over generated headers full of the awkward cases (8-bit
 * bytes, lines that are no field, whitespace before a colon, bare CR and LF, continuation lines,
 * no empty line), it gives the same fields, values, offsets and header end, and its quick path
 * takes the usual header.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { headerFields, quickHeaderFields } from "../../core/sieve/header_fields.ts";
import { parseHeaderBlock } from "../../core/mime/header.ts";
import { CORPUS_DIR, corpusFiles } from "../interop/_corpus.ts";

const enc = new TextEncoder();

function expected(raw: Uint8Array) {
  const b = parseHeaderBlock(raw, 0, raw.length, { top: true });
  return { fields: b.fields, headerEnd: b.headerEnd };
}

function plain<T>(x: T): T {
  return JSON.parse(JSON.stringify(x));
}

Deno.test("sieve header reader: over the corpus, every message's fields are the MIME parser's", async () => {
  const files = await corpusFiles();
  if (files.length === 0) return;
  let quick = 0;
  for (const name of files) {
    const raw = await Deno.readFile(new URL(name, CORPUS_DIR));
    const q = quickHeaderFields(raw);
    if (q !== null) {
      quick++;
      assert.deepEqual(plain(q), plain(expected(raw)), name);
    }
    assert.deepEqual(plain(headerFields(raw)), plain(expected(raw)), name);
  }
  // The quick path is the usual one, not a rarity (most of the corpus is plain ASCII headers).
  assert.ok(quick > files.length / 2, `quick path took ${quick} of ${files.length}`);
});

Deno.test("sieve header reader: a plain header takes the quick path, with folded values unfolded", () => {
  const raw = enc.encode(
    "From: A <a@example.org>\r\nSubject: one\r\n two\r\n\tthree\r\nX-Empty:\r\nX-CR: a\rb\r\n\r\nbody\r\n",
  );
  const q = quickHeaderFields(raw);
  assert.ok(q !== null);
  assert.deepEqual(plain(q), plain(expected(raw)));
  assert.deepEqual(q.fields.map((f) => [f.key, f.value]), [
    ["from", " A <a@example.org>"],
    ["subject", " one two\tthree"],
    ["x-empty", ""],
    ["x-cr", " ab"],
  ]);
});

Deno.test("sieve header reader: unusual headers are left to the MIME parser (quick path declines)", () => {
  for (
    const text of [
      "From sender@example.org Mon Dec  7 00:00:00 2026\r\nSubject: x\r\n\r\n", // mbox From line
      "\ufeffSubject: x\r\n\r\n", // byte order mark
      "Subject: caf\u00e9\r\n\r\n", // 8-bit value
      "Subject : x\r\n\r\n", // whitespace before the colon
      " folded first\r\nSubject: x\r\n\r\n", // continuation line first
      "Subject: x\r\nno colon here\r\n\r\n", // a line that is no field
      "Subject: x\r\n", // no empty line
    ]
  ) {
    const raw = enc.encode(text);
    assert.equal(quickHeaderFields(raw), null, JSON.stringify(text));
    assert.deepEqual(plain(headerFields(raw)), plain(expected(raw)), JSON.stringify(text));
  }
});

Deno.test("sieve header reader: generated headers read as the MIME parser reads them", () => {
  const piece = fc.constantFrom(
    "Subject",
    "From",
    "X-A",
    ":",
    " ",
    "\t",
    "\r\n",
    "\n",
    "\r",
    "a",
    "Z",
    "=?utf-8?q?x?=",
    "\u00e9",
    "\xff",
    "<a@b>",
    "\r\n\r\n",
    "From ",
    "\ufeff",
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
      const text = pieces.join("");
      // "\xff" stands for a lone invalid byte: Latin-1 bytes of the string, else its UTF-8.
      const raw = [...text].some((c) => c.charCodeAt(0) > 0xff)
        ? enc.encode(text)
        : Uint8Array.from(text, (c) => c.charCodeAt(0));
      const want = plain(expected(raw));
      assert.deepEqual(plain(headerFields(raw)), want);
      const q = quickHeaderFields(raw);
      if (q !== null) assert.deepEqual(plain(q), want);
    }),
    { numRuns: 3000 },
  );
});
