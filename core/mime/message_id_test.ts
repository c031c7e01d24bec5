import assert from "node:assert/strict";
import { formatMessageIds, parseMessageIds } from "./message_id.ts";

Deno.test("parseMessageIds reads msg-id lists", () => {
  assert.deepEqual(parseMessageIds(" <a@x.example> <b@y.example>"), ["a@x.example", "b@y.example"]);
  assert.deepEqual(parseMessageIds("<a@x>,\r\n <b@y> (comment <c@z>)"), ["a@x", "b@y"]);
  assert.deepEqual(parseMessageIds("Your message of <a@x> sent on Monday"), ["a@x"]);
  assert.deepEqual(parseMessageIds("<invalid.   \r\nsomething@bar.net>"), ["invalid.something@bar.net"]);
});

Deno.test("parseMessageIds accepts ids without brackets", () => {
  assert.deepEqual(parseMessageIds("a@x b@y"), ["a@x", "b@y"]);
  assert.deepEqual(parseMessageIds("no ids here"), []);
  assert.deepEqual(parseMessageIds(""), []);
});

Deno.test("formatMessageIds brackets ids", () => {
  assert.equal(formatMessageIds(["a@x", "b@y"]), "<a@x> <b@y>");
});
