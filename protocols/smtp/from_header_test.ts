import assert from "node:assert/strict";
import { fromAddresses } from "./from_header.ts";

const enc = new TextEncoder();

Deno.test("fromAddresses reads angle-bracket and bare addresses, folded and quoted", () => {
  const msg =
    'To: x@y\r\nFrom: "Smith, John <fake@evil>" <John@Example.org>,\r\n bob@example.org (Bob, @evil)\r\n\r\nFrom: body@nope\r\n';
  assert.deepEqual(fromAddresses(enc.encode(msg)), ["john@example.org", "bob@example.org"]);
});

Deno.test("fromAddresses returns nothing without a From field", () => {
  assert.deepEqual(fromAddresses(enc.encode("Subject: hi\n\nFrom: a@b\n")), []);
});
