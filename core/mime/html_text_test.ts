import assert from "node:assert/strict";
import { htmlToText } from "./html_text.ts";

Deno.test("htmlToText drops markup, scripts and styles and decodes entities", () => {
  const t = htmlToText(
    "<html><head><title>T</title><style>p{}</style></head><body><p>Hello&nbsp;&amp; <b>world</b>&#33; &#x263A; &bogus;</p><script>x()</script><!-- c --></body></html>",
  );
  assert.equal(t.replace(/\s+/g, " ").trim(), "Hello & world ! ☺ &bogus;");
  assert.ok(htmlToText("a<br>b").includes("\n"));
});

Deno.test("htmlToText stays linear on unclosed elements", () => {
  const evil = "<title>x".repeat(50_000) + "<p>end</p>";
  const t = htmlToText(evil);
  assert.ok(t.includes("end"));
  assert.equal(htmlToText("a <b"), "a ");
  assert.equal(htmlToText("1 < 2"), "1 < 2");
});
