import assert from "node:assert/strict";
import { parseTlsa, usable } from "./tlsa.ts";

Deno.test("parseTlsa: presentation form USAGE SELECTOR MTYPE HEX (RFC 6698 §2.2), hex may be split", () => {
  assert.deepEqual(parseTlsa("3 1 1 AB cd"), { usage: 3, selector: 1, matchingType: 1, data: "abcd" });
  assert.equal(parseTlsa("3 1 1 abc"), null, "odd number of hex digits");
  assert.equal(parseTlsa("3 1 1 zz"), null);
  assert.equal(parseTlsa("256 1 1 ab"), null);
  assert.equal(parseTlsa("3 1"), null);
});

Deno.test("usable: only DANE-TA(2)/DANE-EE(3), selectors 0/1, digests of the right length (RFC 7672 §3.1.3)", () => {
  const sha256 = "00".repeat(32);
  assert.equal(usable(parseTlsa(`3 1 1 ${sha256}`)!), true);
  assert.equal(usable(parseTlsa(`2 0 2 ${"00".repeat(64)}`)!), true);
  assert.equal(usable(parseTlsa(`2 0 0 abcd`)!), true);
  assert.equal(usable(parseTlsa(`1 1 1 ${sha256}`)!), false, "PKIX-EE is unusable for SMTP");
  assert.equal(usable(parseTlsa(`0 1 1 ${sha256}`)!), false, "PKIX-TA is unusable for SMTP");
  assert.equal(usable(parseTlsa(`3 2 1 ${sha256}`)!), false);
  assert.equal(usable(parseTlsa(`3 1 1 abcd`)!), false, "short SHA-256");
  assert.equal(usable(parseTlsa(`3 1 3 ${sha256}`)!), false);
});
