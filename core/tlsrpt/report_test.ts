import assert from "node:assert/strict";
import { parseTlsRptRecord } from "./report.ts";

Deno.test("parseTlsRptRecord: the rua URIs of the one v=TLSRPTv1 record (RFC 8460 §3)", () => {
  assert.deepEqual(
    parseTlsRptRecord(["v=TLSRPTv1; rua=mailto:a@r.example, https://r.example/tlsrpt"]),
    ["mailto:a@r.example", "https://r.example/tlsrpt"],
  );
  // Records not starting with v=TLSRPTv1 are discarded.
  assert.deepEqual(parseTlsRptRecord(["v=spf1 -all", "v=TLSRPTv1;rua=mailto:a@r.example"]), [
    "mailto:a@r.example",
  ]);
  // Unless exactly one remains, the domain has no TLS-RPT policy.
  assert.equal(parseTlsRptRecord(["v=TLSRPTv1;rua=mailto:a@x", "v=TLSRPTv1;rua=mailto:b@x"]), null);
  assert.equal(parseTlsRptRecord([]), null);
  // Only mailto: and https: destinations; none usable: no policy.
  assert.equal(parseTlsRptRecord(["v=TLSRPTv1; rua=http://r.example/"]), null);
  assert.equal(parseTlsRptRecord(["v=TLSRPTv2; rua=mailto:a@r.example"]), null);
});
