import assert from "node:assert/strict";
import { baseSubject, decodeSummary, encodeSummary, indexMessage, searchRow } from "./message_index.ts";

Deno.test("baseSubject strips reply and forward prefixes (RFC 5256 §2.1)", () => {
  assert.equal(baseSubject("Re: Hello"), "hello");
  assert.equal(baseSubject("RE: Fwd: re[2]: Hello   world"), "hello world");
  assert.equal(baseSubject("[list] Re: Hello (fwd)"), "hello");
  assert.equal(baseSubject("[Fwd: Hello]"), "hello");
  assert.equal(baseSubject("Re:"), "");
  assert.equal(baseSubject("[only]"), "[only]");
});

Deno.test("indexMessage reads headers, ids and text", () => {
  const raw = new TextEncoder().encode(
    "From: Ann <ann@example.net>\r\nTo: bob@example.org\r\nSubject: Re: Plan\r\n" +
      "Message-ID: <a@x>\r\nIn-Reply-To: <b@x>\r\nReferences: <c@x>\r\n <b@x>\r\n" +
      "Date: Mon, 02 Jun 2025 10:00:00 +0000\r\n\r\nBody words here\r\n",
  );
  const ix = indexMessage(raw);
  assert.equal(ix.summary.subject, "Re: Plan");
  assert.deepEqual(ix.summary.messageId, ["a@x"]);
  assert.deepEqual(ix.summary.inReplyTo, ["b@x"]);
  assert.deepEqual(ix.summary.references, ["c@x", "b@x"]);
  assert.equal(ix.summary.sentAt?.toISOString(), "2025-06-02T10:00:00.000Z");
  assert.equal(ix.subjectKey, "plan");
  assert.equal(ix.fromKey, "ann");
  const row = searchRow(raw, ix.summary);
  assert.ok(row.body.includes("Body words here"));
  assert.equal(row.from, "Ann <ann@example.net>");
  assert.equal(row.subject, "Re: Plan");
  assert.ok(ix.headers.includes("references: <c@x> <b@x>\n"));
  assert.deepEqual(decodeSummary(encodeSummary(ix.summary)), ix.summary);
});

Deno.test("indexMessage never throws on garbage", () => {
  const ix = indexMessage(new Uint8Array([0xff, 0x00, 0x0a, 0x0a, 0x80]));
  assert.equal(typeof ix.summary.subject, "string");
  assert.equal(typeof searchRow(new Uint8Array([0xff, 0x00, 0x0a, 0x0a, 0x80]), ix.summary).body, "string");
});
