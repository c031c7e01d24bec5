import assert from "node:assert/strict";
import fc from "fast-check";
import {
  buildMdnMessage,
  formatDispositionNotification,
  type MdnReport,
  parseDisposition,
  parseDispositionNotification,
  parseMdnMessage,
} from "./mdn.ts";
import { formatUnstructured } from "./compose.ts";
import { parseMime } from "./parse.ts";

const dec = new TextDecoder();

const REPORT: MdnReport = {
  reportingUA: "joes-pc.cs.example.com; Foomail 97.1",
  mdnGateway: null,
  originalRecipient: null,
  finalRecipient: "rfc822; john@example.com",
  originalMessageId: "<1521@example.com>",
  disposition: { actionMode: "manual-action", sendingMode: "mdn-sent-manually", type: "displayed" },
  error: null,
  extensionFields: { "X-Extension-Example": "example.com" },
};

Deno.test("buildMdnMessage writes a multipart/report with the RFC 8098 report fields in 7bit", () => {
  const original = new TextEncoder().encode("Subject: hi\r\nMessage-ID: <1521@example.com>\r\n\r\nbody\r\n");
  const raw = buildMdnMessage({
    headers: [{ name: "Subject", value: "Read: hi" }],
    textBody: "Displayed.",
    report: REPORT,
    original,
  });
  const text = dec.decode(raw);
  const root = parseMime(raw);
  assert.equal(`${root.type}/${root.subtype}`, "multipart/report");
  assert.equal(root.params["report-type"], "disposition-notification");
  assert.deepEqual(root.children.map((c) => `${c.type}/${c.subtype}`), [
    "text/plain",
    "message/disposition-notification",
    "message/rfc822",
  ]);
  assert.equal(root.children[1]!.encoding, "7bit");
  assert.match(text, /\r\nFinal-Recipient: rfc822; john@example.com\r\n/);
  assert.match(text, /\r\nDisposition: manual-action\/MDN-sent-manually; displayed\r\n/);
  assert.match(text, /\r\nOriginal-Message-ID: <1521@example.com>\r\n/);
  assert.match(text, /\r\nX-Extension-Example: example.com\r\n/);
  const parsed = parseMdnMessage(raw)!;
  assert.deepEqual(parsed.report, REPORT);
  assert.equal(parsed.subject, "Read: hi");
  assert.equal(parsed.textBody, "Displayed.");
  assert.equal(parsed.includesOriginal, true);
});

Deno.test("the error modifier goes with Error fields; parseDisposition ignores modifiers and case", () => {
  const body = formatDispositionNotification({ ...REPORT, error: ["disk full"], extensionFields: null });
  assert.match(
    body,
    /Disposition: manual-action\/MDN-sent-manually; displayed\/error\r\nError: disk full\r\n/,
  );
  assert.deepEqual(parseDisposition(" Automatic-Action / mdn-SENT-automatically ; Deleted/error, x "), {
    actionMode: "automatic-action",
    sendingMode: "mdn-sent-automatically",
    type: "deleted",
  });
  // RFC 2298's "denied" type is not in RFC 8098's grammar.
  assert.equal(parseDisposition("manual-action/MDN-sent-manually; denied"), null);
  assert.equal(
    parseDispositionNotification("Disposition: manual-action/MDN-sent-manually; displayed\r\n"),
    null,
  );
});

Deno.test("parseMdnMessage refuses messages that are not disposition notifications", () => {
  const enc = new TextEncoder();
  assert.equal(parseMdnMessage(enc.encode("Subject: x\r\n\r\nplain\r\n")), null);
  const dsn = "Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
    "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\n" +
    "Final-Recipient: rfc822; a@b\r\nAction: failed\r\n--b--\r\n";
  assert.equal(parseMdnMessage(enc.encode(dsn)), null);
  const garbled = dsn.replace("delivery-status;", "disposition-notification;")
    .replace("message/delivery-status", "message/disposition-notification");
  assert.equal(parseMdnMessage(enc.encode(garbled)), null, "no Disposition field");
  // A well-formed report whose multipart/report names another report type is not an MDN.
  const mdn = dec.decode(buildMdnMessage({ headers: [], textBody: "x", report: REPORT, original: null }));
  assert.ok(parseMdnMessage(enc.encode(mdn)));
  const otherType = mdn.replace("report-type=disposition-notification", "report-type=delivery-status");
  assert.equal(parseMdnMessage(enc.encode(otherType)), null);
});

const word = fc.stringMatching(/^[\x21-\x7e]{1,12}$/);
const text = fc.array(word, { minLength: 1, maxLength: 12 }).map((ws) => ws.join(" "));
const report: fc.Arbitrary<MdnReport> = fc.record({
  reportingUA: fc.option(text),
  mdnGateway: fc.option(text),
  originalRecipient: fc.option(text),
  finalRecipient: text,
  originalMessageId: fc.option(text),
  disposition: fc.record({
    actionMode: fc.constantFrom("manual-action" as const, "automatic-action" as const),
    sendingMode: fc.constantFrom("mdn-sent-manually" as const, "mdn-sent-automatically" as const),
    type: fc.constantFrom(
      "deleted" as const,
      "dispatched" as const,
      "displayed" as const,
      "processed" as const,
    ),
  }),
  error: fc.option(fc.array(text, { minLength: 1, maxLength: 3 })),
  extensionFields: fc.option(
    fc.dictionary(fc.stringMatching(/^X-[A-Za-z0-9-]{1,20}$/), text, { minKeys: 1, maxKeys: 4 }),
  ),
});

Deno.test("property: build → parse gives back the report, subject and text", () => {
  fc.assert(
    fc.property(
      report,
      fc.string({ unit: "grapheme", maxLength: 100 }).map((s) => s.replace(/\r/g, "")),
      fc.string({ unit: "grapheme", minLength: 1, maxLength: 80 }).filter((s) =>
        s.trim() === s && !/[\r\n]/.test(s)
      ),
      fc.boolean(),
      (r, body, subject, withOriginal) => {
        const raw = buildMdnMessage({
          headers: [{ name: "Subject", value: formatUnstructured(subject) }],
          textBody: body,
          report: r,
          original: withOriginal ? new TextEncoder().encode("Subject: o\r\n\r\nx\r\n") : null,
        });
        const parsed = parseMdnMessage(raw);
        assert.ok(parsed);
        // Plain objects on both sides (fast-check builds null-prototype records).
        assert.deepEqual(JSON.parse(JSON.stringify(parsed.report)), JSON.parse(JSON.stringify(r)));
        assert.equal(parsed.textBody, body);
        assert.equal(parsed.subject, subject);
        assert.equal(parsed.includesOriginal, withOriginal);
      },
    ),
    { numRuns: 500 },
  );
});
