import assert from "node:assert/strict";
import { parseMime } from "./parse.ts";
import { findPartAt, findSection, walkParts } from "./section.ts";
import { bytes } from "./_test_util.ts";

const RAW = bytes(
  [
    "Content-Type: multipart/mixed; boundary=a",
    "",
    "--a",
    "",
    "one",
    "--a",
    "Content-Type: message/rfc822",
    "",
    "Subject: inner text",
    "",
    "two",
    "--a",
    "Content-Type: message/rfc822",
    "",
    "Content-Type: multipart/alternative; boundary=b",
    "",
    "--b",
    "",
    "three",
    "--b",
    "Content-Type: multipart/related; boundary=c",
    "",
    "--c",
    "",
    "four",
    "--c--",
    "--b--",
    "--a--",
  ].join("\r\n"),
);

Deno.test("findSection resolves RFC 9051 §6.4.5 section numbers", () => {
  const root = parseMime(RAW);
  assert.equal(findSection(root, ""), root);
  assert.equal(findSection(root, "1"), root.children[0]);
  assert.equal(findSection(root, "2"), root.children[1]);
  assert.equal(
    findSection(root, "2.1"),
    root.children[1]!.message,
    "body of a non-multipart embedded message",
  );
  assert.equal(findSection(root, "3.1"), root.children[2]!.message!.children[0]);
  assert.equal(findSection(root, "3.2.1"), root.children[2]!.message!.children[1]!.children[0]);
  assert.equal(findSection(root, "3.2.1")!.section, "3.2.1");
  for (const bad of ["4", "0", "1.1", "2.2", "3.3", "x", "1.", "01"]) {
    assert.equal(findSection(root, bad), null, bad);
  }
  // The same lookup from numbers already split (IMAP FETCH).
  for (const section of ["1", "2", "2.1", "3.1", "3.2.1", "4", "1.1", "2.2", "3.3"]) {
    assert.equal(findPartAt(root, section.split(".").map(Number)), findSection(root, section), section);
  }
  assert.equal(findPartAt(root, []), root);
  assert.equal(findPartAt(root, [0]), null);
});

Deno.test("findSection treats a single-part message body as section 1", () => {
  const root = parseMime(bytes("Subject: x\r\n\r\nbody"));
  assert.equal(findSection(root, "1"), root);
  assert.equal(findSection(root, "2"), null);
  assert.equal(findSection(root, "1.1"), null);
});

Deno.test("walkParts visits parents before children in order", () => {
  const seen: string[] = [];
  walkParts(parseMime(RAW), (p, d) => seen.push(`${d}:${p.section}`));
  assert.deepEqual(seen, ["0:", "1:1", "1:2", "2:2", "1:3", "2:3", "3:3.1", "3:3.2", "4:3.2.1"]);
});

Deno.test("findSection numbers messages nested directly in message bodies", () => {
  const root = parseMime(
    bytes("Content-Type: message/rfc822\n\nContent-Type: message/rfc822\n\nSubject: x\n\nbody"),
  );
  const e1 = root.message!;
  const e2 = e1.message!;
  assert.equal(e1.section, "1");
  assert.equal(e2.section, "1.1");
  assert.equal(findSection(root, "1"), root);
  assert.equal(findSection(root, "1.1"), e1);
  assert.equal(findSection(root, "1.1.1"), e2);
  assert.equal(findSection(root, "1.1.1.1"), null);
});
