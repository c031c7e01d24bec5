import assert from "node:assert/strict";
import { buildDsn } from "../queue/dsn.ts";
import { parseDsn } from "./dsn_report.ts";

const enc = new TextEncoder();
const original = enc.encode(
  "From: ada@example.org\r\nTo: far@remote.test\r\nSubject: Quarterly report\r\nMessage-ID: <q1@example.org>\r\n\r\nbody\r\n",
);

function dsn(action: "failed" | "delayed", ret: "FULL" | "HDRS" = "HDRS") {
  const now = new Date(Date.UTC(2026, 0, 2));
  return buildDsn({
    reportingMta: "mx.example.org",
    to: "ada@example.org",
    envid: null,
    arrivalDate: now,
    now,
    recipients: [{
      address: "far@remote.test",
      orcpt: "rfc822;far@remote.test",
      action,
      status: action === "failed" ? "5.1.1" : "4.4.1",
      remoteMta: "mx.remote.test",
      diagnostic: "550 5.1.1 no such user",
      lastAttempt: now,
    }],
    original,
    ret,
    id: "dsn1",
  });
}

Deno.test("parseDsn reads Tern's own DSNs: reporting MTA, the failed recipient's fields, the returned message's id and subject", () => {
  for (const ret of ["HDRS", "FULL"] as const) {
    const report = parseDsn(dsn("failed", ret));
    assert.ok(report, ret);
    assert.equal(report.reportingMta, "mx.example.org");
    assert.deepEqual(
      report.recipients.map((r) => [r.finalRecipient, r.originalRecipient, r.action, r.status]),
      [
        ["far@remote.test", "far@remote.test", "failed", "5.1.1"],
      ],
    );
    assert.match(report.recipients[0]!.diagnosticCode ?? "", /550 5\.1\.1 no such user/);
    assert.equal(report.recipients[0]!.remoteMta, "mx.remote.test");
    assert.equal(report.originalMessageId, "q1@example.org");
    assert.equal(report.originalSubject, "Quarterly report");
  }
  assert.equal(parseDsn(dsn("delayed"))!.recipients[0]!.action, "delayed");
});

Deno.test("parseDsn is null for a message that is not a delivery status notification", () => {
  assert.equal(parseDsn(original), null);
  const mdn = enc.encode(
    'Content-Type: multipart/report; report-type=disposition-notification; boundary="b"\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n',
  );
  assert.equal(parseDsn(mdn), null);
});
