import assert from "node:assert/strict";
import { bodyLists, partTree } from "./body_structure.ts";
import { parseMime } from "../../core/mime/parse.ts";

function msg(lines: string[]): Uint8Array {
  return new TextEncoder().encode(lines.join("\r\n"));
}

Deno.test("bodyLists splits alternatives and treats a related image after the HTML as an attachment", () => {
  const raw = msg([
    'Content-Type: multipart/mixed; boundary="m"',
    "",
    "--m",
    'Content-Type: multipart/alternative; boundary="a"',
    "",
    "--a",
    "Content-Type: text/plain",
    "",
    "plain",
    "--a",
    'Content-Type: multipart/related; boundary="r"',
    "",
    "--r",
    "Content-Type: text/html",
    "",
    "<img src=cid:i>",
    "--r",
    "Content-Type: image/png",
    "Content-ID: <i>",
    "",
    "PNG",
    "--r--",
    "--a--",
    "--m",
    'Content-Type: text/plain; name="notes.txt"',
    "Content-Disposition: attachment",
    "",
    "notes",
    "--m--",
    "",
  ]);
  const l = bodyLists(partTree(parseMime(raw)));
  assert.deepEqual(l.textBody.map((p) => p.type), ["text/plain"]);
  // RFC 8621 §4.1.4: in multipart/related only the first part is inline.
  assert.deepEqual(l.htmlBody.map((p) => p.type), ["text/html"]);
  assert.deepEqual(l.attachments.map((p) => p.type), ["image/png", "text/plain"]);
});

Deno.test("bodyLists uses a lone text part for both bodies and a single-part message has partId 1", () => {
  const raw = msg(["Content-Type: text/plain", "", "hello", ""]);
  const tree = partTree(parseMime(raw));
  assert.equal(tree.partId, "1");
  const l = bodyLists(tree);
  assert.deepEqual(l.textBody.map((p) => p.partId), ["1"]);
  assert.deepEqual(l.htmlBody.map((p) => p.partId), ["1"]);
  assert.deepEqual(l.attachments, []);
});
