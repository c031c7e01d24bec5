import assert from "node:assert/strict";
import fc from "fast-check";
import { MAX_DEPTH, MAX_PARTS, parseMime } from "./parse.ts";
import { findSection, walkParts } from "./section.ts";
import { bodyOf, bytes, headerOf, latin1Bytes, offsetProblems, tree } from "./_test_util.ts";

const MIXED = [
  "From: a@example.org",
  "Subject: test",
  'Content-Type: multipart/mixed; boundary="XX"',
  "",
  "preamble",
  "--XX",
  "Content-Type: text/plain; charset=utf-8",
  "",
  "hello",
  "world",
  "--XX",
  "Content-Type: message/rfc822",
  "",
  "Subject: inner",
  'Content-Type: multipart/alternative; boundary="YY"',
  "",
  "--YY",
  "",
  "plain",
  "--YY",
  "Content-Type: text/html",
  "",
  "<b>html</b>",
  "--YY--",
  "--XX",
  "Content-Type: application/octet-stream",
  "Content-Transfer-Encoding: base64",
  "",
  "AAEC",
  "--XX--",
  "epilogue",
  "",
].join("\r\n");

Deno.test("parseMime numbers sections per RFC 9051 §6.4.5", () => {
  const raw = bytes(MIXED);
  const root = parseMime(raw);
  assert.equal(
    tree(root),
    "root:multipart/mixed[1:text/plain 2:message/rfc822{2:multipart/alternative[2.1:text/plain 2.2:text/html]} 3:application/octet-stream]",
  );
  assert.deepEqual(offsetProblems(root, raw.length), []);
  assert.deepEqual(root.defects, []);
});

Deno.test("parseMime puts the CRLF before a boundary into the delimiter", () => {
  const raw = bytes(MIXED);
  const root = parseMime(raw);
  const [text, msg, bin] = root.children;
  assert.equal(bodyOf(raw, text!), "hello\r\nworld");
  assert.equal(text!.lines, 1, "the CRLF before the boundary is not part of the body");
  assert.equal(headerOf(raw, text!), "Content-Type: text/plain; charset=utf-8\r\n\r\n");
  assert.equal(bodyOf(raw, bin!), "AAEC");
  assert.equal(bin!.encoding, "base64");
  assert.equal(msg!.message!.children[0]!.type, "text", "no header -> text/plain");
  assert.equal(bodyOf(raw, msg!.message!.children[0]!), "plain");
  // The embedded message ends with its multipart's close delimiter: that line's CRLF stays with
  // it (Dovecot's reading), so the part has 11 lines, not 10.
  assert.equal(msg!.lines, 11);
  assert.ok(bodyOf(raw, msg!).endsWith("--YY--\r\n"), JSON.stringify(bodyOf(raw, msg!).slice(-20)));
  assert.equal(root.bodyEnd, raw.length);
});

Deno.test("parseMime keeps the line ending after a nested close delimiter with the nested part", () => {
  const raw = bytes(
    'Content-Type: multipart/mixed; boundary="o"\r\n\r\n--o\r\n' +
      'Content-Type: multipart/alternative; boundary="i"\r\n\r\n--i\r\n\r\na\r\n--i--\r\n--o\r\n\r\n' +
      "b\r\n--i--\r\n--o--\r\n",
  );
  const [inner, leaf] = parseMime(raw).children;
  assert.ok(bodyOf(raw, inner!).endsWith("--i--\r\n"), "the nested multipart keeps its last CRLF");
  assert.equal(bodyOf(raw, inner!.children[0]!), "a");
  // A leaf whose last line merely looks like a close delimiter (no opening `--i` inside it) does not.
  assert.equal(bodyOf(raw, leaf!), "b\r\n--i--");
});

Deno.test("parseMime records header fields with offsets and unfolded values", () => {
  const raw = bytes("Subject: a\r\n b\r\nX-Y:z\r\n\r\nbody");
  const root = parseMime(raw);
  assert.equal(root.headers.length, 2);
  assert.equal(root.headers[0]!.value, " a b");
  assert.equal(root.headers[0]!.key, "subject");
  assert.equal(root.headers[0]!.start, 0);
  assert.equal(root.headers[0]!.end, 16);
  assert.equal(root.headers[1]!.value, "z");
  assert.equal(root.headerEnd, 25);
  assert.equal(bodyOf(raw, root), "body");
  assert.deepEqual(root.params, { charset: "us-ascii" });
});

Deno.test("parseMime handles bare LF, CRLF and mixed line endings", () => {
  for (const eol of ["\n", "\r\n"]) {
    const raw = bytes(MIXED.replaceAll("\r\n", eol));
    const root = parseMime(raw);
    assert.equal(root.children.length, 3, JSON.stringify(eol));
    assert.equal(bodyOf(raw, root.children[0]!), `hello${eol}world`);
    assert.deepEqual(offsetProblems(root, raw.length), []);
  }
  const mixed = bytes(MIXED.split("\r\n").map((l, i) => l + (i % 2 ? "\n" : "\r\n")).join(""));
  const root = parseMime(mixed);
  assert.equal(root.children.length, 3);
  assert.equal(root.children[1]!.message!.children.length, 2);
});

Deno.test("parseMime reads bare-CR line endings as data: one header line, no body", () => {
  // RFC 5322 §2.3: a CR alone is no line ending (Dovecot's reading of old Mac mail).
  const raw = bytes(MIXED.replaceAll("\r\n", "\r"));
  const root = parseMime(raw);
  assert.equal(tree(root), "root:text/plain");
  assert.equal(root.headers.length, 1);
  assert.equal(root.headers[0]!.end, raw.length);
  assert.deepEqual([root.bodyStart, root.lines], [raw.length, 0]);
  assert.ok(root.defects.includes("bare CR line endings (read as data)"));
});

Deno.test("parseMime keeps a lone CR as data in LF messages", () => {
  const raw = bytes("Subject: a\rb\n\nbody\rmore\n");
  const root = parseMime(raw);
  assert.equal(root.headers.length, 1);
  assert.equal(root.headers[0]!.value, " a\rb".replace("\r", ""));
  assert.equal(root.lines, 1);
});

Deno.test("parseMime ends the last part at the end when the close boundary is missing", () => {
  const raw = bytes("Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\n\ntwo\n");
  const root = parseMime(raw);
  assert.equal(root.children.length, 2);
  assert.equal(bodyOf(raw, root.children[1]!), "two\n");
  assert.ok(root.defects.includes("missing close boundary"));
});

Deno.test("parseMime confines a broken inner multipart to its outer part", () => {
  const raw = bytes(
    "Content-Type: multipart/mixed; boundary=outer\n\n--outer\nContent-Type: multipart/alternative; boundary=inner\n\n--inner\n\na\n--outer\n\nb\n--outer--\n",
  );
  const root = parseMime(raw);
  assert.equal(tree(root), "root:multipart/mixed[1:multipart/alternative[1.1:text/plain] 2:text/plain]");
  assert.equal(bodyOf(raw, root.children[0]!.children[0]!), "a");
  assert.equal(bodyOf(raw, root.children[1]!), "b");
});

Deno.test("parseMime takes a line that starts with a delimiter for one, the longest open boundary's", () => {
  // RFC 2046 §5.1.1: a boundary never starts a line of the content, so a line that starts with
  // `--boundary` is a delimiter whatever follows; of the open multiparts, the longest matching
  // boundary wins (Dovecot's rule): `--abc` is the inner one's, `--ab not` the outer one's.
  const raw = bytes(
    "Content-Type: multipart/mixed; boundary=ab\n\n--ab\nContent-Type: multipart/mixed; boundary=abc\n\n--abc\n\nx\n--ab not\n--abc--\n--ab  \n\ny\n--ab--  \n",
  );
  const root = parseMime(raw);
  assert.equal(
    tree(root),
    "root:multipart/mixed[1:multipart/mixed[1.1:text/plain] 2:text/plain 3:text/plain 4:text/plain]",
  );
  assert.deepEqual(root.children.map((c) => bodyOf(raw, c)), ["--abc\n\nx", "", "", "y"]);
  assert.deepEqual(offsetProblems(root, raw.length), []);
});

Deno.test("parseMime matches a boundary longer than 80 characters by its first 80", () => {
  // Overlong boundaries (RFC 2046 §5.1.1 allows 70) that differ only past 80 characters are one
  // and the same delimiter, the innermost open multipart's (Dovecot truncates them).
  const b = "x".repeat(80);
  const raw = bytes(
    `Content-Type: multipart/mixed; boundary=${b}1\n\n--${b}1\nContent-Type: multipart/mixed; boundary=${b}2\n\n` +
      `--${b}2\n\none\n--${b}1\n\ntwo\n`,
  );
  const root = parseMime(raw);
  assert.equal(tree(root), "root:multipart/mixed[1:multipart/mixed[1.1:text/plain 1.2:text/plain]]");
  assert.deepEqual(root.children[0]!.children.map((c) => bodyOf(raw, c)), ["one", "two\n"]);
});

Deno.test("parseMime gives a multipart without delimiter lines one empty part", () => {
  // RFC 2046 §5.1.1: all of it is preamble; a multipart has one part at least (Dovecot's reading).
  for (const ct of ["multipart/mixed", "multipart/mixed; boundary=zz", "multipart/mixed; boundary='zz'"]) {
    const raw = bytes(`Content-Type: ${ct}\n\nno parts here\n--zz--\n`);
    const root = parseMime(raw);
    assert.equal(tree(root), "root:multipart/mixed[1:text/plain]", ct);
    const child = root.children[0]!;
    assert.deepEqual([child.headerStart, child.bodyStart, child.bodyEnd], [
      raw.length,
      raw.length,
      raw.length,
    ]);
    assert.deepEqual([child.lines, child.headers.length, child.defects.length], [0, 0, 0]);
    assert.equal(root.defects.length, 1);
    assert.deepEqual(offsetProblems(root, raw.length), []);
  }
});

Deno.test("parseMime defaults digest children to message/rfc822", () => {
  const raw = bytes(
    "Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nbody1\n--d\nContent-Type: text/plain\n\nnot a message\n--d--\n",
  );
  const root = parseMime(raw);
  assert.equal(tree(root), "root:multipart/digest[1:message/rfc822{1:text/plain} 2:text/plain]");
  assert.equal(root.children[0]!.message!.headers[0]!.value, " one");
  assert.equal(findSection(root, "1.1"), root.children[0]!.message);
});

Deno.test("parseMime keeps a first line without colon in the header, up to the blank line", () => {
  // RFC 5322 §2.1: the header ends at the empty line; a colon-less line is no field (Dovecot).
  const raw = bytes("Content-Type: multipart/mixed; boundary=b\n\n--b\njust text\nA: 1\n\nbody\n--b--\n");
  const part = parseMime(raw).children[0]!;
  assert.deepEqual(part.headers.map((h) => h.name), ["A"]);
  assert.equal(headerOf(raw, part), "just text\nA: 1\n\n");
  assert.equal(bodyOf(raw, part), "body");
  assert.ok(part.defects.includes("non-header line in header"));
});

Deno.test("parseMime accepts a header without body", () => {
  const raw = bytes("Subject: only a header\r\nFrom: x@y.z\r\n");
  const root = parseMime(raw);
  assert.equal(root.headers.length, 2);
  assert.equal(root.headerEnd, raw.length);
  assert.equal(root.bodyStart, root.bodyEnd);
  assert.equal(root.lines, 0);
});

Deno.test("parseMime keeps colon-less lines in the header when the blank line comes later", () => {
  // Neither an unindented `name=` line nor a text line ends the header or continues a field.
  const raw = bytes("Subject: x\nContent-Type: text/plain;\nname=a.txt\nThis is text\n\nbody\n");
  const root = parseMime(raw);
  assert.deepEqual(root.params, {});
  assert.deepEqual(root.headers.map((h) => h.name), ["Subject", "Content-Type"]);
  assert.equal(bodyOf(raw, root), "body\n");
  assert.deepEqual(root.defects, ["non-header line in header", "non-header line in header"]);
});

Deno.test("parseMime skips an mbox From line at the top", () => {
  const raw = bytes("From someone@example.org Sat Jan  3 01:05:34 1996\nSubject: s\n\nb");
  const root = parseMime(raw);
  assert.equal(root.headers.length, 1);
  assert.equal(root.headers[0]!.key, "subject");
});

Deno.test("parseMime keeps 8-bit header bytes as UTF-8 or Latin-1", () => {
  const utf8 = parseMime(bytes("Subject: Grüße\n\n"));
  assert.equal(utf8.headers[0]!.value, " Grüße");
  const latin = parseMime(latin1Bytes("Subject: Gr\xfc\xdfe\n\n"));
  assert.equal(latin.headers[0]!.value, " Gr\xfc\xdfe");
});

Deno.test("parseMime parses message/rfc822 at the top level as section 1", () => {
  const raw = bytes(
    "Content-Type: message/rfc822\n\nSubject: in\nContent-Type: multipart/mixed; boundary=q\n\n--q\n\nx\n--q--\n",
  );
  const root = parseMime(raw);
  assert.equal(tree(root), "root:message/rfc822{1:multipart/mixed[1.1:text/plain]}");
  assert.equal(findSection(root, "1"), root);
  assert.equal(findSection(root, "1.1"), root.message!.children[0]);
});

Deno.test("parseMime reads an encoded message/rfc822 as written, as Dovecot does", () => {
  // RFC 2046 §5.2.1 allows no encoding; the body is still the part's message (undecoded), so that
  // BODYSTRUCTURE has the envelope and body of RFC 9051 §7.5.2.
  const raw = bytes(
    "Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogeA0KDQp5\n",
  );
  const root = parseMime(raw);
  assert.ok(root.message);
  assert.deepEqual([root.message.headerStart, root.message.headerEnd], [root.bodyStart, raw.length]);
  assert.deepEqual(root.message.headers, []);
  assert.deepEqual(root.defects, ["message/rfc822 with base64 encoding: read as written"]);
});

Deno.test("parseMime bounds nesting depth", () => {
  let msg = "leaf\n";
  for (let i = 0; i < MAX_DEPTH + 20; i++) {
    msg = `Content-Type: multipart/mixed; boundary=b${i}\n\n--b${i}\n${msg}\n--b${i}--\n`;
  }
  const raw = bytes(msg);
  const root = parseMime(raw);
  let depth = 0;
  let opaque = 0;
  walkParts(root, (p, d) => {
    depth = Math.max(depth, d);
    if (p.defects.some((x) => x.startsWith("nesting too deep"))) opaque++;
  });
  assert.equal(depth, MAX_DEPTH);
  assert.equal(opaque, 1);
  assert.deepEqual(offsetProblems(root, raw.length), []);
  let nested = "Subject: leaf\n\nx\n";
  for (let i = 0; i < MAX_DEPTH + 5; i++) nested = `Content-Type: message/rfc822\n\n${nested}`;
  const m = parseMime(bytes(nested));
  let mdepth = 0;
  walkParts(m, (_p, d) => (mdepth = Math.max(mdepth, d)));
  assert.equal(mdepth, MAX_DEPTH);
});

Deno.test("parseMime caps the number of parts", () => {
  const raw = bytes(
    `Content-Type: multipart/mixed; boundary=b\n\n${"--b\n\nx\n".repeat(MAX_PARTS + 50)}--b--\n`,
  );
  const root = parseMime(raw);
  let count = 0;
  walkParts(root, () => count++);
  assert.ok(count <= MAX_PARTS + 1, String(count));
  assert.ok(root.defects.some((d) => d.startsWith("too many parts")));
  assert.equal(root.children.at(-1)!.bodyEnd, root.bodyEnd);
});

Deno.test("parseMime reads content fields", () => {
  const raw = bytes(
    [
      "Content-Type: Text/HTML; Charset=\"ISO-8859-1\"; name*=utf-8''%E2%82%AC.html",
      "Content-Transfer-Encoding: Quoted-Printable (comment)",
      'Content-Disposition: attachment; filename="=?utf-8?q?caf=C3=A9.html?="',
      "Content-ID: <cid@x>",
      "Content-Description: desc",
      "Content-Language: en, fr (French)",
      "Content-Location: http://x/y",
      "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==",
      "",
      "x",
    ].join("\n"),
  );
  const p = parseMime(raw);
  assert.equal(`${p.type}/${p.subtype}`, "text/html");
  assert.deepEqual(p.params, { charset: "ISO-8859-1", name: "€.html" });
  assert.equal(p.encoding, "quoted-printable");
  assert.deepEqual(p.disposition, { value: "attachment", params: { filename: "café.html" } });
  assert.equal(p.contentId, "<cid@x>");
  assert.equal(p.description, "desc");
  assert.deepEqual(p.language, ["en", "fr"]);
  assert.equal(p.location, "http://x/y");
  assert.equal(p.md5, "Q2hlY2sgSW50ZWdyaXR5IQ==");
});

Deno.test("parseMime never throws and keeps offsets in range on arbitrary bytes", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), (raw) => {
      const root = parseMime(raw);
      assert.deepEqual(offsetProblems(root, raw.length), []);
    }),
    { numRuns: 300 },
  );
});

Deno.test("parseMime never throws on mutated MIME messages", () => {
  const base = bytes(MIXED);
  const alphabet = fc.constantFrom(
    ...'\r\n-:;= "abXY'.split("").map((c) => c.charCodeAt(0)),
    0x00,
    0xff,
  );
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(base.length), fc.integer({ min: 0, max: 3 }), alphabet), { maxLength: 20 }),
      (edits) => {
        let arr = Array.from(base);
        for (const [pos, op, byte] of edits) {
          const at = pos % (arr.length + 1);
          if (op === 0) arr.splice(at, 0, byte);
          else if (op === 1) arr.splice(at, 1);
          else if (op === 2) arr[at] = byte;
          else arr = arr.slice(0, at);
        }
        const raw = Uint8Array.from(arr);
        const root = parseMime(raw);
        assert.deepEqual(offsetProblems(root, raw.length), []);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("parseMime works on a subarray view", () => {
  const full = bytes("garbage" + MIXED);
  const raw = full.subarray(7);
  const root = parseMime(raw);
  assert.equal(root.children.length, 3);
  assert.equal(bodyOf(raw, root.children[0]!), "hello\r\nworld");
});

Deno.test("parseMime skips a UTF-8 byte order mark before the header", () => {
  const raw = Uint8Array.of(0xef, 0xbb, 0xbf, ...bytes("Subject: bom\r\n\r\nbody"));
  const root = parseMime(raw);
  assert.equal(root.headers[0]?.key, "subject");
  assert.equal(root.headers[0]?.start, 3);
  assert.equal(bodyOf(raw, root), "body");
});

Deno.test("parseMime ends an embedded header without empty line at the line ending before the delimiter", () => {
  // The embedded message's header runs to the delimiter: the CRLF before it is read as the empty
  // line that ends that header, so it belongs to the message/rfc822 part (Dovecot's sizes).
  const raw = bytes(
    "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n" +
      "[original message]\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nX: not a header\r\n\r\n--b--\r\n",
  );
  const root = parseMime(raw);
  const [msg, text] = root.children;
  assert.equal(bodyOf(raw, msg!), "[original message]\r\n\r\n");
  assert.equal(headerOf(raw, msg!.message!), "[original message]\r\n\r\n");
  assert.equal(bodyOf(raw, msg!.message!), "");
  // Not for other parts: a text part's body keeps RFC 2046 §5.1.1's reading.
  assert.equal(bodyOf(raw, text!), "X: not a header\r\n");
  assert.deepEqual(offsetProblems(root, raw.length), []);
});

Deno.test("parseMime keeps an indented first line of a part in its header, up to the empty line", () => {
  // It continues no field, yet it is a header line (RFC 5322 §2.1; Dovecot's reading).
  const raw = bytes(
    "Content-Type: multipart/mixed; boundary=b\n\n--b\n boundivy=x\nnot a field\n\nbody\n--b--\n",
  );
  const part = parseMime(raw).children[0]!;
  assert.equal(headerOf(raw, part), " boundivy=x\nnot a field\n\n");
  assert.equal(bodyOf(raw, part), "body");
  assert.deepEqual(part.headers, []);
});

Deno.test("parseMime extends an embedded message whose unclosed multipart ends in an unterminated header", () => {
  // The embedded multipart has no close delimiter: its last part, whose header has no empty line,
  // runs to the outer delimiter, and the line ending before that ends its header (as Dovecot).
  const raw = bytes(
    "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n" +
      "Content-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\nContent-Type: text/plain\r\n\r\n--b--\r\n",
  );
  const part = parseMime(raw).children[0]!;
  const inner = part.message!.children[0]!;
  assert.equal(headerOf(raw, inner), "Content-Type: text/plain\r\n\r\n");
  assert.equal(bodyOf(raw, part).slice(-26), "Content-Type: text/plain\r\n\r\n".slice(-26));
  assert.equal(part.bodyEnd, raw.length - "--b--\r\n".length);
});
