/**
 * The body-test shortcut (core/sieve/body_leaf.ts) against the full MIME parser over the shared
 * corpus: wherever it answers, it gives the root the parser gives (type, parameters, encoding,
 * body offsets), and it never answers for a message with sub-parts.
 */
import assert from "node:assert/strict";
import { leafBody } from "../../core/sieve/body_leaf.ts";
import { parseHeaderBlock } from "../../core/mime/header.ts";
import { parseMime } from "../../core/mime/parse.ts";
import { partText } from "../../core/mime/body.ts";
import { CORPUS_DIR, corpusFiles } from "../interop/_corpus.ts";

const enc = new TextEncoder();

function compare(raw: Uint8Array): "leaf" | "parsed" {
  const block = parseHeaderBlock(raw, 0, raw.length, { top: true });
  const leaf = leafBody(raw, block.fields, block.headerEnd);
  const root = parseMime(raw);
  if (leaf === null) return "parsed";
  assert.equal(root.children.length, 0);
  assert.equal(root.message, null);
  assert.deepEqual(
    [leaf.type, leaf.subtype, leaf.params, leaf.encoding, leaf.bodyStart, leaf.bodyEnd],
    [root.type, root.subtype, root.params, root.encoding, root.bodyStart, root.bodyEnd],
  );
  assert.equal(partText(raw, leaf), partText(raw, root));
  return "leaf";
}

Deno.test("sieve body shortcut: over the corpus, a single-part message reads as the MIME parser reads it", async () => {
  const files = await corpusFiles();
  if (files.length === 0) return;
  const seen = { leaf: 0, parsed: 0 };
  for (const name of files) {
    const raw = await Deno.readFile(new URL(name, CORPUS_DIR));
    try {
      seen[compare(raw)]++;
    } catch (e) {
      throw new Error(`${name}: ${e instanceof Error ? e.message : e}`);
    }
  }
  // Both paths are exercised (the corpus has single-part and multipart mail).
  assert.ok(seen.leaf >= 20, `single-part: ${seen.leaf}`);
  assert.ok(seen.parsed >= 20, `multipart: ${seen.parsed}`);
});

Deno.test("sieve body shortcut: defaults and encodings as RFC 2045 gives them; multiparts and bad types left to the parser", () => {
  for (
    const m of [
      "Subject: no type\r\n\r\nhello\r\n",
      'Content-Type: text/html; charset="ISO-8859-1"\r\nContent-Transfer-Encoding: Quoted-Printable (qp)\r\n\r\nh=E9llo\r\n',
      "Content-Type: TEXT/Plain; charset*=utf-8''%E2%82%AC\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n",
      "Content-Type: application/octet-stream\r\n\r\nxx\r\n",
      "From nobody Mon Dec  7 00:00:00 2026\r\nSubject: mbox\r\n\r\nbody\r\n",
    ]
  ) assert.equal(compare(enc.encode(m)), "leaf", m);
  for (
    const m of [
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n",
      "Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nx\r\n",
      "Content-Type: text\r\n\r\nno subtype\r\n",
      "Content-Type: te xt/pl@in\r\n\r\ninvalid\r\n",
    ]
  ) assert.equal(compare(enc.encode(m)), "parsed", m);
});
