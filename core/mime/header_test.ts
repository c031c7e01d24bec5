import assert from "node:assert/strict";
import { getHeader, getHeaders, getLastHeader, parseHeaderBlock, rawFieldValue } from "./header.ts";
import { bytes } from "./_test_util.ts";

Deno.test("parseHeaderBlock splits fields with offsets", () => {
  const raw = bytes("A: 1\r\nB : 2\r\n\tmore\r\n\r\nbody");
  const h = parseHeaderBlock(raw, 0, raw.length);
  assert.deepEqual(h.fields.map((f) => [f.name, f.value, f.start, f.end]), [["A", " 1", 0, 6], [
    "B",
    " 2\tmore",
    6,
    20,
  ]]);
  assert.equal(h.headerEnd, 22);
  assert.deepEqual(h.defects, []);
});

Deno.test("parseHeaderBlock respects the region end", () => {
  const raw = bytes("A: 1\nB: 2\n\nX: no\n");
  const h = parseHeaderBlock(raw, 5, 9);
  assert.deepEqual(h.fields.map((f) => f.name), ["B"]);
  assert.equal(h.headerEnd, 9);
});

Deno.test("parseHeaderBlock handles CR mode", () => {
  const raw = bytes("A: 1\r b\rC: 2\r\rbody");
  const h = parseHeaderBlock(raw, 0, raw.length, { crMode: true });
  assert.deepEqual(h.fields.map((f) => f.value), [" 1 b", " 2"]);
  assert.equal(h.headerEnd, 14);
});

Deno.test("parseHeaderBlock recovers from broken lines", () => {
  const raw = bytes("A: 1\nBad Name: x\nContent-Type: text/plain;\nname=x.txt\nC: 3\n\n");
  const h = parseHeaderBlock(raw, 0, raw.length);
  assert.deepEqual(h.fields.map((f) => f.name), ["A", "Content-Type", "C"]);
  // Lines that are not fields stay in the header (RFC 5322 §2.1: the empty line ends it), but are
  // no field and continue none (Dovecot's reading).
  assert.equal(h.fields[1]!.value, " text/plain;");
  assert.equal(h.headerEnd, raw.length);
  assert.deepEqual(h.defects, ["non-header line in header", "non-header line in header"]);
  const first = parseHeaderBlock(bytes(" leading\nnot a header\n\n"), 0, 23);
  assert.equal(first.headerEnd, 23, "a continuation line first stays in the header, to the empty line");
  assert.deepEqual(first.fields, []);
  const blank = parseHeaderBlock(bytes("  \nbody"), 0, 7);
  assert.equal(blank.headerEnd, 3);
});

Deno.test("parseHeaderBlock caps the number of fields", () => {
  const raw = bytes("X: 1\n".repeat(20) + "\n");
  const h = parseHeaderBlock(raw, 0, raw.length, { maxFields: 5 });
  assert.equal(h.fields.length, 5);
  assert.equal(h.headerEnd, raw.length);
  assert.deepEqual(h.defects, ["too many header fields"]);
});

Deno.test("getHeader, getLastHeader and getHeaders look up case-insensitively", () => {
  const raw = bytes("Received: a\nreceived: b\nSubject:  s \n\n");
  const part = { headers: parseHeaderBlock(raw, 0, raw.length).fields };
  assert.equal(getHeader(part, "RECEIVED"), "a");
  assert.equal(getLastHeader(part, "Received"), "b");
  assert.deepEqual(getHeaders(part, "received"), ["a", "b"]);
  assert.equal(getHeader(part, "subject"), "s");
  assert.equal(getHeader(part, "missing"), null);
});

Deno.test("parseHeaderBlock skips a stray indented first line before fields", () => {
  const raw = bytes("   \nFrom: a@b.c\n\nbody");
  const h = parseHeaderBlock(raw, 0, raw.length);
  assert.deepEqual(h.fields.map((f) => f.name), ["From"]);
  assert.equal(h.headerEnd, raw.length - 4);
  const indented = bytes(" From: x@y.z\nSubject: s\n\nbody");
  assert.deepEqual(parseHeaderBlock(indented, 0, indented.length).fields.map((f) => f.name), ["Subject"]);
});

Deno.test("rawFieldValue keeps folding (RFC 8621 Raw)", () => {
  const raw = bytes("Subject: a\r\n b\r\nX:\r\n\r\n");
  const fields = parseHeaderBlock(raw, 0, raw.length).fields;
  assert.equal(rawFieldValue(raw, fields[0]!), " a\r\n b");
  assert.equal(rawFieldValue(raw, fields[1]!), "");
});
