/**
 * The Sieve body text shortcut (core/sieve/message.ts `leafText`) against `partText`, which it
 * stands in for: the same text for every part of every corpus message, and for generated bodies
 * (bad UTF-8, a byte order mark, an encoded U+FFFD) under each charset label and transfer encoding.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { leafText } from "../../core/sieve/message.ts";
import { parseMime } from "../../core/mime/parse.ts";
import { partText } from "../../core/mime/body.ts";
import type { MimePart } from "../../core/mime/types.ts";
import { CORPUS_DIR, corpusFiles } from "../interop/_corpus.ts";

const enc = new TextEncoder();

function* parts(p: MimePart): Generator<MimePart> {
  yield p;
  for (const c of p.children) yield* parts(c);
  if (p.message) yield* parts(p.message);
}

Deno.test("sieve body text: over the corpus, every part's text is partText's", async () => {
  const files = await corpusFiles();
  if (files.length === 0) return;
  let n = 0;
  for (const name of files) {
    const raw = await Deno.readFile(new URL(name, CORPUS_DIR));
    for (const p of parts(parseMime(raw))) {
      assert.equal(leafText(raw, p), partText(raw, p), `${name} part ${p.section}`);
      n++;
    }
  }
  assert.ok(n > files.length);
});

Deno.test("sieve body text: generated bodies under each charset and encoding read as partText reads them", () => {
  const bytes = fc.array(
    fc.constantFrom(
      [0x41],
      [0x0d, 0x0a],
      [0xc3, 0xa9], // é
      [0xe9], // not UTF-8
      [0xef, 0xbb, 0xbf], // byte order mark
      [0xef, 0xbf, 0xbd], // U+FFFD itself
      [0xf0, 0x9f, 0x98, 0x80],
      [0x80],
      [0x3d, 0x43, 0x33], // =C3 (quoted-printable)
    ),
    { maxLength: 20 },
  ).map((a) => a.flat());
  const charset = fc.constantFrom(
    null,
    "utf-8",
    "UTF8",
    "us-ascii",
    "ascii",
    "iso-8859-1",
    "'utf-8'",
    "x-unknown",
  );
  const encoding = fc.constantFrom(null, "7bit", "8bit", "binary", "base64", "quoted-printable", "x-token");
  fc.assert(
    fc.property(bytes, charset, encoding, (body, cs, te) => {
      const head = enc.encode(
        "Subject: t\r\n" + (cs === null ? "" : `Content-Type: text/plain; charset=${cs}\r\n`) +
          (te === null ? "" : `Content-Transfer-Encoding: ${te}\r\n`) + "\r\n",
      );
      const raw = new Uint8Array(head.length + body.length);
      raw.set(head);
      raw.set(body, head.length);
      const root = parseMime(raw);
      assert.equal(leafText(raw, root), partText(raw, root));
    }),
    { numRuns: 3000 },
  );
});
