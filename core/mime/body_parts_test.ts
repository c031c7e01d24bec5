import assert from "node:assert/strict";
import { bodyParts, hasAttachment } from "./body_parts.ts";
import { parseMime } from "./parse.ts";
import { bytes } from "./_test_util.ts";

function lists(src: string) {
  const root = parseMime(bytes(src));
  const p = bodyParts(root);
  const ids = (l: typeof p.textBody) => l.map((x) => x.section).join(",");
  return { text: ids(p.textBody), html: ids(p.htmlBody), att: ids(p.attachments), has: hasAttachment(p) };
}

Deno.test("bodyParts selects alternative bodies (RFC 8621 §4.1.4)", () => {
  const r = lists(
    "Content-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/plain\n\nt\n--a\nContent-Type: text/html\n\nh\n--a--\n--m\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=x.pdf\n\n%PDF\n--m--\n",
  );
  assert.deepEqual(r, { text: "1.1", html: "1.2", att: "2", has: true });
});

Deno.test("bodyParts uses the only alternative for both lists", () => {
  const r = lists(
    "Content-Type: multipart/alternative; boundary=a\n\n--a\nContent-Type: text/html\n\nh\n--a--\n",
  );
  assert.deepEqual(r, { text: "1", html: "1", att: "", has: false });
});

Deno.test("bodyParts treats named text after the first part as an attachment", () => {
  const r = lists(
    "Content-Type: multipart/mixed; boundary=m\n\n--m\n\nbody\n--m\nContent-Type: text/plain; name=notes.txt\n\nnotes\n--m\nContent-Type: image/png\nContent-Disposition: inline\n\nPNG\n--m--\n",
  );
  assert.deepEqual(r, { text: "1,3", html: "1,3", att: "2", has: true });
});

Deno.test("hasAttachment ignores inline and cid-referenced images", () => {
  const r = lists(
    "Content-Type: multipart/related; boundary=r\n\n--r\nContent-Type: text/html\n\n<img src=cid:i>\n--r\nContent-Type: image/png\nContent-ID: <i>\n\nPNG\n--r--\n",
  );
  assert.deepEqual(r, { text: "1", html: "1", att: "2", has: false });
  const msg = lists(
    "Content-Type: multipart/mixed; boundary=m\n\n--m\n\nx\n--m\nContent-Type: message/rfc822\n\nSubject: y\n\nz\n--m--\n",
  );
  assert.equal(msg.att, "2");
  assert.equal(msg.has, true);
});
