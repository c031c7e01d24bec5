import assert from "node:assert/strict";
import { parseMime } from "../../../core/mime/parse.ts";
import { applyPartial, parseSection, sectionBytes, sectionName } from "./section.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

const NESTED = enc.encode([
  "Subject: outer",
  'Content-Type: multipart/mixed; boundary="b"',
  "",
  "--b",
  "Content-Type: text/plain",
  "",
  "first",
  "--b",
  "Content-Type: message/rfc822",
  "",
  "Subject: inner",
  "From: x@example.org",
  'Content-Type: multipart/alternative; boundary="c"',
  "",
  "--c",
  "Content-Type: text/plain",
  "",
  "inner plain",
  "--c",
  "Content-Type: text/html",
  "",
  "<b>inner</b>",
  "--c--",
  "--b--",
  "",
].join("\r\n"));

function get(section: string): string | null {
  const spec = parseSection(section);
  assert.ok(spec, section);
  const b = sectionBytes(NESTED, parseMime(NESTED), spec);
  return b === null ? null : dec.decode(b);
}

Deno.test("sectionBytes resolves nested parts and message/rfc822 sections", () => {
  assert.equal(get("1"), "first");
  assert.equal(
    get("2.HEADER"),
    'Subject: inner\r\nFrom: x@example.org\r\nContent-Type: multipart/alternative; boundary="c"\r\n\r\n',
  );
  assert.equal(get("2.1"), "inner plain");
  assert.equal(get("2.2"), "<b>inner</b>");
  assert.equal(get("2.HEADER.FIELDS (FROM)"), "From: x@example.org\r\n\r\n");
  assert.equal(get("2.MIME"), "Content-Type: message/rfc822\r\n\r\n");
  assert.equal(get("HEADER.FIELDS.NOT (CONTENT-TYPE)"), "Subject: outer\r\n\r\n");
  assert.equal(get("3"), null);
  assert.equal(get("1.HEADER"), null);
});

Deno.test("parseSection validates and names sections", () => {
  assert.equal(parseSection("0"), null);
  assert.equal(parseSection("MIME"), null);
  assert.equal(parseSection("HEADER.FIELDS"), null);
  assert.equal(parseSection("TEXT", true), null);
  assert.equal(
    sectionName(parseSection('1.2.header.fields ("Subject" to)')!),
    "1.2.HEADER.FIELDS (SUBJECT TO)",
  );
  assert.equal(dec.decode(applyPartial(enc.encode("abcdef"), { origin: 2, count: 3 })), "cde");
  assert.equal(dec.decode(applyPartial(enc.encode("abcdef"), { origin: 10, count: 3 })), "");
});

Deno.test("HEADER.FIELDS.NOT keeps header lines that are not fields, like BODY[HEADER]", () => {
  const raw = new TextEncoder().encode(
    "From someone@example.org Mon May  2 16:07:05 2005\r\nReceived: x\r\n y\r\nSubject: s\r\nTo: t@example.org\r\n\r\nbody",
  );
  const root = parseMime(raw);
  const not = sectionBytes(raw, root, parseSection("HEADER.FIELDS.NOT (RECEIVED SUBJECT)")!);
  assert.equal(
    new TextDecoder().decode(not!),
    "From someone@example.org Mon May  2 16:07:05 2005\r\nTo: t@example.org\r\n\r\n",
  );
  const only = sectionBytes(raw, root, parseSection("HEADER.FIELDS (SUBJECT)")!);
  assert.equal(new TextDecoder().decode(only!), "Subject: s\r\n\r\n");
});

Deno.test("HEADER.FIELDS.NOT adds no empty line to a header that has none", () => {
  // A header running to the end of the message: its octets minus the named fields (as Dovecot).
  for (
    const [msg, want] of [["To: t\r\nSubject: s", "To: t\r\n"], ["Subject: s\r\nTo: t\r\n", "To: t\r\n"]]
  ) {
    const raw = enc.encode(msg);
    const not = sectionBytes(raw, parseMime(raw), parseSection("HEADER.FIELDS.NOT (SUBJECT)")!);
    assert.equal(dec.decode(not!), want, JSON.stringify(msg));
    // HEADER.FIELDS always ends with the empty line (RFC 9051 §6.4.5).
    const only = sectionBytes(raw, parseMime(raw), parseSection("HEADER.FIELDS (TO)")!);
    assert.equal(dec.decode(only!), "To: t\r\n\r\n");
  }
});

Deno.test("a part that is neither multipart nor a message has no part under it (RFC 9051 §6.4.5)", () => {
  const single = enc.encode("Subject: one\r\n\r\nbody\r\n");
  const root = parseMime(single);
  const bytes = (s: string) => {
    const spec = parseSection(s);
    assert.ok(spec, s);
    const b = sectionBytes(single, root, spec);
    return b === null ? null : dec.decode(b);
  };
  assert.equal(bytes("1"), "body\r\n");
  assert.equal(bytes("1.1"), null);
  assert.equal(bytes("1.1.1"), null);
  assert.equal(bytes("2"), null);
  // In a multipart message: under its text part, and under the embedded message's text part.
  assert.equal(get("1.1"), null);
  assert.equal(get("2.1"), "inner plain");
  assert.equal(get("2.1.1"), null);
});
