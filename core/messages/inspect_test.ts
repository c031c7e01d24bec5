import assert from "node:assert/strict";
import { CORPUS_DIR, corpusFiles } from "../../tests/interop/_corpus.ts";
import { attachmentContent, inspectMessage, MAX_BODY_CHARS } from "./inspect.ts";
import { parseMime } from "../mime/parse.ts";
import { bodyParts } from "../mime/body_parts.ts";

const enc = new TextEncoder();

Deno.test("inspectMessage: every corpus message gives headers, bounded bodies, script-free HTML and downloadable attachments", async () => {
  const files = await corpusFiles();
  let html = 0;
  let attachments = 0;
  for (const name of files) {
    const raw = await Deno.readFile(new URL(name, CORPUS_DIR));
    const view = inspectMessage(raw);
    assert.ok(view.headers.every((h) => typeof h.value === "string"), name);
    assert.ok(
      (view.text?.length ?? 0) <= MAX_BODY_CHARS && (view.html?.length ?? 0) <= MAX_BODY_CHARS * 2,
      name,
    );
    if (view.html !== null) {
      html++;
      assert.doesNotMatch(view.html, /<script|<iframe|<form|\son[a-z]+\s*=|javascript:/i, name);
    }
    for (const a of view.attachments) {
      attachments++;
      const got = attachmentContent(raw, a.partId);
      assert.ok(got, `${name} part ${a.partId}`);
      assert.equal(got.bytes.length, a.size, `${name} part ${a.partId}`);
    }
    // Every attachment RFC 8621 §4.1.4 selects is listed.
    assert.ok(view.attachments.length >= bodyParts(parseMime(raw)).attachments.length, name);
  }
  if (files.length > 0) assert.ok(html > 0 && attachments > 0, "the corpus exercises HTML and attachments");
});

Deno.test("inspectMessage: a single-part message is part 1; unknown and malformed part ids are null", () => {
  const raw = enc.encode("From: a@b.example\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n\r\nplain body\r\n");
  const view = inspectMessage(raw);
  assert.deepEqual(view.headers, [{ name: "From", value: "a@b.example" }, {
    name: "Subject",
    value: "café",
  }]);
  assert.equal(view.text, "plain body\r\n");
  assert.equal(view.html, null);
  assert.deepEqual(view.attachments, []);
  assert.equal(new TextDecoder().decode(attachmentContent(raw, "1")!.bytes), "plain body\r\n");
  assert.equal(attachmentContent(raw, "2"), null);
  assert.equal(attachmentContent(raw, "../1"), null);
});

Deno.test("inspectMessage: an HTML-only message gets its text from the HTML and a body over the bound is cut", () => {
  const big = "<p>" + "x".repeat(MAX_BODY_CHARS + 10) + "</p>";
  const raw = enc.encode(`Content-Type: text/html\r\n\r\n${big}\r\n`);
  const view = inspectMessage(raw);
  assert.equal(view.truncated, true);
  assert.ok(view.text!.length <= MAX_BODY_CHARS);
  assert.ok(view.text!.trim().startsWith("xxx"));
});
