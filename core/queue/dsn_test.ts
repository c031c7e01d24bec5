import assert from "node:assert/strict";
import { buildDsn, decodeXtext, headerSection, statusOf } from "./dsn.ts";

const original = new TextEncoder().encode("Subject: hi\r\nFrom: a@b.test\r\n\r\nbody line\r\n");

function build(ret: "FULL" | "HDRS", action: "failed" | "delayed" = "failed", utf8 = false) {
  return new TextDecoder().decode(buildDsn({
    reportingMta: "mx.example",
    to: "a@b.test",
    envid: null,
    arrivalDate: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
    now: new Date(Date.UTC(2026, 0, 2, 4, 0, 0)),
    recipients: [{
      address: "x@y.test",
      orcpt: null,
      action,
      status: "5.1.1",
      remoteMta: "mx.y.test",
      diagnostic: "550 5.1.1 unknown\r\nInjected: header",
      lastAttempt: null,
    }],
    original,
    ret,
    id: "abc",
    utf8,
  }));
}

Deno.test("buildDsn returns the whole message for RET=FULL and only the header for RET=HDRS", () => {
  const full = build("FULL");
  assert.match(
    full,
    /Content-Type: message\/rfc822\r\n\r\nSubject: hi\r\nFrom: a@b.test\r\n\r\nbody line\r\n\r\n--=_tern-dsn-abc--\r\n$/,
  );
  const hdrs = build("HDRS");
  assert.match(
    hdrs,
    /Content-Type: text\/rfc822-headers\r\n\r\nSubject: hi\r\nFrom: a@b.test\r\n\r\n--=_tern-dsn-abc--\r\n$/,
  );
  assert.doesNotMatch(hdrs, /body line/);
});

Deno.test("buildDsn keeps a remote reply on one line (no header injection)", () => {
  const dsn = build("FULL");
  assert.match(dsn, /^Diagnostic-Code: smtp; 550 5\.1\.1 unknown Injected: header\r$/m);
  assert.doesNotMatch(dsn, /^Injected:/m);
});

Deno.test("buildDsn sends delay notices with the header only", () => {
  const dsn = build("FULL", "delayed");
  assert.match(dsn, /^Subject: Delivery Status Notification \(Delay\)\r$/m);
  assert.match(dsn, /Content-Type: text\/rfc822-headers/);
});

Deno.test("statusOf, decodeXtext and headerSection", () => {
  assert.equal(statusOf("550 5.1.1 No"), "5.1.1");
  assert.equal(statusOf("421 closing"), "4.0.0");
  assert.equal(statusOf("weird"), "4.0.0");
  assert.equal(decodeXtext("a+2Bb+3D"), "a+b=");
  assert.equal(
    new TextDecoder().decode(headerSection(new TextEncoder().encode("A: 1\nB: 2\n\nbody"))),
    "A: 1\nB: 2\n",
  );
});

Deno.test("buildDsn uses the RFC 6533 message/global types for an SMTPUTF8 original", () => {
  const full = build("FULL", "failed", true);
  assert.match(full, /^Content-Type: message\/global-delivery-status\r$/m);
  assert.match(full, /^Content-Type: message\/global\r$/m);
  assert.match(build("HDRS", "failed", true), /^Content-Type: message\/global-headers\r$/m);
  assert.match(build("FULL"), /^Content-Type: message\/delivery-status\r$/m);
});
