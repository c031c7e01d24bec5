import assert from "node:assert/strict";
import { sanitizeHtml } from "./sanitize_html.ts";
import { parseMime } from "./parse.ts";
import { bodyParts } from "./body_parts.ts";
import { partText } from "./body.ts";

const ATTACKS: [string, RegExp][] = [
  ["<script>alert(1)</script><p>hi</p>", /script|alert/i],
  ['<img src="x" onerror="alert(1)">', /onerror|alert/i],
  ['<a href="javascript:alert(1)">x</a>', /javascript:/i],
  ['<a href="JaVaScRiPt&colon;alert(1)">x</a>', /javascript|alert/i],
  ['<a href="vbscript:msgbox(1)">x</a>', /vbscript/i],
  ['<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>', /data:/i],
  ['<iframe src="https://evil.example/"></iframe>', /iframe|evil/i],
  [
    '<form action="https://evil.example/"><input name="p"><button>go</button></form>',
    /form|input|button|evil/i,
  ],
  ['<object data="x.swf"></object><embed src="x.swf">', /object|embed|swf/i],
  ["<svg><script>alert(1)</script></svg>", /svg|script|alert/i],
  ['<div style="background:url(https://track.example/p.gif)">x</div>', /url\(|track/i],
  ['<div style="width: expression(alert(1))">x</div>', /expression|alert/i],
  ["<style>body{background:url(https://track.example/)}</style><p>x</p>", /style|track/i],
  ['<link rel="stylesheet" href="https://evil.example/a.css">', /link|evil/i],
  ['<meta http-equiv="refresh" content="0;url=https://evil.example/">', /meta|refresh|evil/i],
  ['<base href="https://evil.example/">', /base|evil/i],
  ['<a href="//evil.example/">x</a>', /evil/i],
  ['<p onclick="alert(1)" onmouseover="alert(2)">x</p>', /onclick|onmouseover|alert/i],
  ['<img src="https://track.example/pixel.gif" width="1" height="1">', /track|<img/i],
  ['<table background="https://track.example/bg.gif"><tr><td>x</td></tr></table>', /background|track/i],
  ["<scr<script>ipt>alert(1)</script>", /<script|alert\(1\)<\/script/i],
  ['<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>', /onerror/i],
];

Deno.test("scripts, handlers, forms, frames, URL-loading styles and unsafe schemes are removed", () => {
  for (const [input, forbidden] of ATTACKS) {
    const out = sanitizeHtml(input);
    assert.ok(!forbidden.test(out), `${input}\n  → ${out}`);
  }
});

Deno.test("formatting, tables, safe styles and http(s)/mailto links survive; links get rel noopener", () => {
  const out = sanitizeHtml(
    '<p style="color: red; text-align: center">Hello <b>bold</b> <i>it</i></p>' +
      '<table border="1"><tr><td colspan="2">cell</td></tr></table>' +
      '<a href="https://example.com/x?a=1&amp;b=2">web</a> <a href="mailto:a@example.com">mail</a>',
  );
  assert.match(out, /<p style="color:red;text-align:center">Hello <b>bold<\/b> <i>it<\/i><\/p>/);
  assert.match(out, /<td colspan="2">cell<\/td>/);
  assert.match(
    out,
    /<a href="https:\/\/example.com\/x\?a=1&amp;b=2" target="_blank" rel="noopener noreferrer nofollow">web<\/a>/,
  );
  assert.match(out, /href="mailto:a@example.com"/);
});

Deno.test("remote images are dropped unless allowed; cid images are kept or rewritten", () => {
  const html = '<img src="https://img.example/a.png" alt="a"><img src="cid:part1@example" alt="b">';
  const strict = sanitizeHtml(html);
  assert.ok(!strict.includes("img.example"), strict);
  assert.equal(strict, '<img alt="b" src="cid:part1@example" />');
  const remote = sanitizeHtml(html, { allowRemoteResources: true });
  assert.ok(remote.includes('src="https://img.example/a.png"'), remote);
  const rewritten = sanitizeHtml(html, {
    cidUrl: (cid) => cid === "part1@example" ? "https://tern.example/att/1?sig=abc" : null,
  });
  assert.ok(rewritten.includes('src="https://tern.example/att/1?sig=abc"'), rewritten);
  assert.ok(!rewritten.includes("img.example"), rewritten);
  assert.equal(sanitizeHtml('<img src="cid:gone">', { cidUrl: () => null }), "");
});

Deno.test("every HTML body of the corpus sanitises to markup without script, handlers or remote loads", async () => {
  const dir = new URL("../../../shared/corpus/", import.meta.url);
  let htmlBodies = 0;
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile) continue;
    const raw = await Deno.readFile(new URL(entry.name, dir));
    const root = parseMime(raw);
    for (const part of bodyParts(root).htmlBody) {
      if (part.type !== "text" || part.subtype !== "html") continue;
      htmlBodies++;
      const out = sanitizeHtml(partText(raw, part));
      assert.ok(!/<\s*(script|iframe|object|embed|form|style|link|meta|base)\b/i.test(out), entry.name);
      assert.ok(!/\son[a-z]+\s*=/i.test(out), `${entry.name}: event handler left`);
      assert.ok(!/javascript:/i.test(out), `${entry.name}: javascript: left`);
      assert.ok(!/url\s*\(/i.test(out), `${entry.name}: CSS url() left`);
      assert.ok(!/<img[^>]+src="https?:/i.test(out), `${entry.name}: remote image left`);
      // Idempotent: sanitising the output again changes nothing.
      assert.equal(sanitizeHtml(out), out, entry.name);
    }
  }
  assert.ok(htmlBodies >= 50, `only ${htmlBodies} HTML bodies found`);
});
