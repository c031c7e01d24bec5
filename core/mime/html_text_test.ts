import assert from "node:assert/strict";
import { htmlToText } from "./html_text.ts";

Deno.test("htmlToText drops markup, scripts and styles and decodes entities", () => {
  const t = htmlToText(
    "<html><head><title>T</title><style>p{}</style></head><body><p>Hello&nbsp;&amp; <b>world</b>&#33; &#x263A; &bogus;</p><script>x()</script><!-- c --></body></html>",
  );
  assert.equal(t.replace(/\s+/g, " ").trim(), "Hello & world ! ☺ &bogus;");
  assert.ok(htmlToText("a<br>b").includes("\n"));
});
