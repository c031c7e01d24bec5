import assert from "node:assert/strict";
import fc from "fast-check";
import { extractText, MAX_EXTRACT_CHARS, summarize } from "./summary.ts";
import { bytes, latin1Bytes } from "./_test_util.ts";

const MESSAGE = [
  "From: =?utf-8?Q?J=C3=B6rg?= <jorg@example.org>",
  "To: a@example.org, Team: b@example.org, c@example.org;",
  "Cc: d@example.org",
  "Reply-To: r@example.org",
  "Subject: =?utf-8?B?R3LDvMOfZQ==?=\r\n  again",
  "Message-ID: <m1@example.org>",
  "In-Reply-To: <m0@example.org>",
  "References: <a@x> <m0@example.org>",
  "Date: Fri, 21 Nov 1997 09:55:06 -0600",
  "Content-Type: multipart/mixed; boundary=m",
  "",
  "--m",
  "Content-Type: multipart/alternative; boundary=a",
  "",
  "--a",
  "Content-Type: text/plain; charset=utf-8",
  "Content-Transfer-Encoding: quoted-printable",
  "",
  "Hello   J=C3=B6rg,",
  "",
  "  how are you?",
  "--a",
  "Content-Type: text/html",
  "",
  "<p>Hello <b>HTML</b></p>",
  "--a--",
  "--m",
  "Content-Type: application/pdf; name=doc.pdf",
  "Content-Disposition: attachment",
  "Content-Transfer-Encoding: base64",
  "",
  "JVBERg==",
  "--m--",
  "",
].join("\r\n");

Deno.test("summarize extracts the header summary", () => {
  const s = summarize(bytes(MESSAGE));
  assert.equal(s.subject, "Grüße again");
  assert.deepEqual(s.from, [{ name: "Jörg", email: "jorg@example.org" }]);
  assert.deepEqual(s.to.map((a) => a.email), ["a@example.org", "b@example.org", "c@example.org"]);
  assert.deepEqual(s.cc, [{ name: null, email: "d@example.org" }]);
  assert.deepEqual(s.replyTo, [{ name: null, email: "r@example.org" }]);
  assert.deepEqual(s.sender, []);
  assert.deepEqual(s.bcc, []);
  assert.deepEqual(s.messageId, ["m1@example.org"]);
  assert.deepEqual(s.inReplyTo, ["m0@example.org"]);
  assert.deepEqual(s.references, ["a@x", "m0@example.org"]);
  assert.equal(s.sentAt?.toISOString(), "1997-11-21T15:55:06.000Z");
  assert.equal(s.preview, "Hello Jörg, how are you?");
  assert.equal(s.hasAttachment, true);
});

Deno.test("summarize previews HTML when there is no plain text, and truncates to 256", () => {
  const html = summarize(bytes("Content-Type: text/html\r\n\r\n<style>x{}</style><p>Hi &amp; bye</p>"));
  assert.equal(html.preview, "Hi & bye");
  assert.equal(html.hasAttachment, false);
  const long = summarize(bytes("\r\n" + "é".repeat(1000)));
  assert.equal(long.preview, "é".repeat(256));
  const empty = summarize(new Uint8Array(0));
  assert.deepEqual(empty.from, []);
  assert.equal(empty.subject, "");
  assert.equal(empty.sentAt, null);
});

Deno.test("summarize decodes 8-bit subjects", () => {
  assert.equal(summarize(bytes("Subject: Grüße\n\n")).subject, "Grüße");
  assert.equal(summarize(latin1Bytes("Subject: caf\xe9\n\n")).subject, "caf\xe9");
});

Deno.test("summarize never throws on arbitrary bytes", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1000 }), (raw) => {
      const s = summarize(raw);
      assert.ok(s.preview.length <= 256 * 2);
      extractText(raw);
    }),
    { numRuns: 200 },
  );
});

Deno.test("extractText collects subject, addresses and all text parts", () => {
  const t = extractText(bytes(MESSAGE));
  for (
    const w of ["Grüße again", "Jörg", "jorg@example.org", "b@example.org", "how are you?", "HTML", "doc.pdf"]
  ) {
    assert.ok(t.includes(w), w);
  }
  assert.ok(!t.includes("JVBERg"), "attachments are not text");
  assert.ok(!t.includes("<b>"), "html stripped");
});

Deno.test("extractText is bounded: a long body fills the budget and stops there", () => {
  const big = bytes("Subject: big\n\n" + "word ".repeat(500_000));
  const t = extractText(big);
  assert.ok(t.length <= MAX_EXTRACT_CHARS, `${t.length}`);
  // The text up to the bound is kept, not dropped: subject, then the body from its start.
  assert.ok(t.length > MAX_EXTRACT_CHARS - 16, `${t.length}`);
  assert.ok(t.startsWith("big\nword word "), JSON.stringify(t.slice(0, 40)));
  assert.match(t.slice(-20), /^(?:[word]+ )+[word]*$/);
});

Deno.test("extractText includes attached messages", () => {
  const raw = bytes(
    "Subject: outer\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nouter body\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner subject\r\nFrom: Inner <in@x.example>\r\n\r\ninner body\r\n--b--\r\n",
  );
  const t = extractText(raw);
  for (const w of ["outer", "outer body", "inner subject", "in@x.example", "inner body"]) {
    assert.ok(t.includes(w), w);
  }
});

Deno.test("extractText searches an encoded message/rfc822 part by its decoded text", () => {
  // "Subject: hidden words\r\n\r\nbody text" in base64: read as written by the parser, decoded here.
  const encoded = btoa("Subject: hidden words\r\n\r\nbody text");
  const raw = bytes(
    "Subject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n" +
      `Content-Transfer-Encoding: base64\r\n\r\n${encoded}\r\n--b--\r\n`,
  );
  const t = extractText(raw, { headers: false });
  assert.ok(t.includes("hidden words") && t.includes("body text"), t);
  assert.ok(!t.includes(encoded), t);
});
