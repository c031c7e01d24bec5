/**
 * The address tests' shortcut (core/sieve/interpreter.ts `simpleAddress`) against the full address
 * parser: wherever it answers, it gives the addresses parseAddressList gives, over every field of
 * the shared corpus and over hand-made edge cases; anything else is left to the parser.
 */
import assert from "node:assert/strict";
import { simpleAddress } from "../../core/sieve/interpreter.ts";
import { parseAddressList } from "../../core/mime/address.ts";
import { parseHeaderBlock } from "../../core/mime/header.ts";
import { CORPUS_DIR, corpusFiles } from "../interop/_corpus.ts";

function agrees(value: string): boolean {
  const fast = simpleAddress(value);
  if (fast === null) return false;
  assert.deepEqual(fast, parseAddressList(value).map((a) => a.email), JSON.stringify(value));
  return true;
}

Deno.test("sieve simple address: over the corpus, every field value it reads gives the parser's addresses", async () => {
  const files = await corpusFiles();
  if (files.length === 0) return;
  let fast = 0;
  for (const name of files) {
    const raw = await Deno.readFile(new URL(name, CORPUS_DIR));
    for (const f of parseHeaderBlock(raw, 0, raw.length, { top: true }).fields) {
      if (agrees(f.value)) fast++;
    }
  }
  // The shortcut is taken for the usual From/To/Sender/Return-Path shapes.
  assert.ok(fast >= 1000, `shortcut taken ${fast} times`);
});

Deno.test("sieve simple address: plain mailboxes are read, lists, groups, quotes, comments and routes are not", () => {
  for (
    const v of [
      "a@b.example",
      "  a@b.example\t",
      "<a@b.example>",
      "Jane Doe <Jane.Doe+tag@B.Example>",
      "J. Doe <a@b.example>  ",
      "x@y <a@b.example>",
      "=?utf-8?Q?J=C3=A9r=C3=B4me?= <j@b.example>",
      "a@b@c",
    ]
  ) assert.ok(agrees(v), v);
  for (
    const v of [
      "",
      "a@b.example, c@d.example",
      '"Doe, Jane" <a@b.example>',
      "a@b.example (Jane)",
      "<@route.example:a@b.example>",
      "<mailto:a@b.example>",
      "group: a@b.example;",
      "Jane <a@b.example> trailing",
      "Jane <a @b.example>",
      "<a@b.example>\u00a0",
      "localonly",
      "Jane <a@b.example",
      "Jane, Bob <b@x.example>",
      "\u00a0a@b.example",
    ]
  ) assert.equal(simpleAddress(v), null, v);
});
