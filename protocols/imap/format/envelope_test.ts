import assert from "node:assert/strict";
import { parseEnvelopeAddresses } from "./envelope.ts";
import { canQuote, str } from "./strings.ts";

Deno.test("parseEnvelopeAddresses handles names, comments, routes and groups", () => {
  assert.deepEqual(parseEnvelopeAddresses('"Doe, John" <john@example.org>, jane@example.org (Jane)'), [
    { name: "Doe, John", adl: null, mailbox: "john", host: "example.org" },
    { name: "Jane", adl: null, mailbox: "jane", host: "example.org" },
  ]);
  assert.deepEqual(parseEnvelopeAddresses("team: a@x.org, b@x.org;, c@y.org"), [
    { name: null, adl: null, mailbox: "team", host: null },
    { name: null, adl: null, mailbox: "a", host: "x.org" },
    { name: null, adl: null, mailbox: "b", host: "x.org" },
    { name: null, adl: null, mailbox: null, host: null },
    { name: null, adl: null, mailbox: "c", host: "y.org" },
  ]);
  assert.deepEqual(parseEnvelopeAddresses("=?utf-8?q?Ad=C3=A9?= <@relay.org:ada@example.org>"), [
    { name: "=?utf-8?q?Ad=C3=A9?=", adl: "@relay.org", mailbox: "ada", host: "example.org" },
  ]);
  assert.deepEqual(parseEnvelopeAddresses("undisclosed-recipients:;"), [
    { name: null, adl: null, mailbox: "undisclosed-recipients", host: null },
    { name: null, adl: null, mailbox: null, host: null },
  ]);
});

Deno.test("str chooses quoted or literal", () => {
  assert.equal(str('a "b" \\c', false), '"a \\"b\\" \\\\c"');
  assert.equal(str("line\r\nbreak", false), "{11}\r\nline\r\nbreak");
  assert.equal(str("café", false), "{5}\r\ncafé");
  assert.equal(str("café", true), '"café"');
  assert.equal(canQuote("x".repeat(2000), true), false);
});
