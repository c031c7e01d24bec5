import assert from "node:assert/strict";
import { formatDateTime, formatReceived, formatReturnPath, protocolName } from "./trace.ts";

const date = new Date(Date.UTC(2026, 10, 21, 9, 5, 3));

Deno.test("formatDateTime writes RFC 5322 dates in UTC", () => {
  assert.equal(formatDateTime(date), "Sat, 21 Nov 2026 09:05:03 +0000");
});

Deno.test("protocolName follows RFC 3848 and RFC 6531", () => {
  const tls = { protocol: "TLSv1.3", cipher: "X" };
  assert.equal(protocolName({ esmtp: false, authenticated: false, tls: null, smtputf8: false }), "SMTP");
  assert.equal(protocolName({ esmtp: true, authenticated: true, tls, smtputf8: false }), "ESMTPSA");
  assert.equal(protocolName({ esmtp: true, authenticated: false, tls, smtputf8: true }), "UTF8SMTPS");
  assert.equal(
    protocolName({ esmtp: true, authenticated: false, tls: null, smtputf8: false, lmtp: true }),
    "LMTP",
  );
  assert.equal(protocolName({ esmtp: true, authenticated: false, tls, smtputf8: true, lmtp: true }), "LMTPS");
});

Deno.test("formatReceived records client, TLS, id and a single recipient", () => {
  const s = formatReceived({
    heloName: "client.example",
    clientIp: "::1",
    hostname: "mx.example.org",
    esmtp: true,
    authenticated: false,
    tls: { protocol: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384" },
    smtputf8: false,
    id: "abc-1",
    forRecipient: "a@example.org",
    date,
  });
  assert.equal(
    s,
    "Received: from client.example ([IPv6:::1])\r\n\tby mx.example.org (Tern) with ESMTPS id abc-1\r\n" +
      "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)\r\n\tfor <a@example.org>;\r\n" +
      "\tSat, 21 Nov 2026 09:05:03 +0000\r\n",
  );
  assert.equal(formatReturnPath(null), "Return-Path: <>\r\n");
  assert.equal(formatReturnPath("a@b"), "Return-Path: <a@b>\r\n");
});
