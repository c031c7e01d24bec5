import assert from "node:assert/strict";
import fc from "fast-check";
import { formatAddress, parseAddressGroups, parseAddressList } from "./address.ts";

Deno.test("parseAddressList reads name-addr and addr-spec forms", () => {
  assert.deepEqual(parseAddressList('"Doe, Jane" <jane@example.org>, bob@example.org (Bob), <c@d.e>'), [
    { name: "Doe, Jane", email: "jane@example.org" },
    { name: "Bob", email: "bob@example.org" },
    { name: null, email: "c@d.e" },
  ]);
});

Deno.test("parseAddressList decodes encoded-word display names, also inside quotes", () => {
  assert.deepEqual(parseAddressList("=?ISO-8859-1?Q?Andr=E9?= Pirard <p@x.be>"), [{
    name: "André Pirard",
    email: "p@x.be",
  }]);
  assert.deepEqual(parseAddressList('"=?utf-8?B?SsO2cmc=?=" <j@x.de>'), [{ name: "Jörg", email: "j@x.de" }]);
  assert.deepEqual(parseAddressList("=?utf-8?Q?J=C3?= =?utf-8?Q?=B6rg?= Smith <j@x.de>"), [
    { name: "Jörg Smith", email: "j@x.de" },
  ]);
});

Deno.test("parseAddressList handles RFC 5322 appendix A examples", () => {
  assert.deepEqual(parseAddressList("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>"), [
    { name: "Pete", email: "pete@silly.test" },
  ]);
  assert.deepEqual(
    parseAddressList(
      "A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;, Mary Smith <mary@x.test>",
    ),
    [
      { name: "Ed Jones", email: "c@a.test" },
      { name: null, email: "joe@where.test" },
      { name: "John", email: "jdoe@one.test" },
      { name: "Mary Smith", email: "mary@x.test" },
    ],
  );
  assert.deepEqual(parseAddressList("Undisclosed recipients:;"), []);
  assert.deepEqual(parseAddressList("<@route.example,@b.example:user@c.example>"), [{
    name: null,
    email: "user@c.example",
  }]);
  assert.deepEqual(parseAddressList('"john doe"@example.com'), [{
    name: null,
    email: '"john doe"@example.com',
  }]);
});

Deno.test("parseAddressGroups keeps groups and ungrouped runs", () => {
  assert.deepEqual(parseAddressGroups("a@b.c, Team: x@y.z;, d@e.f"), [
    { name: null, addresses: [{ name: null, email: "a@b.c" }] },
    { name: "Team", addresses: [{ name: null, email: "x@y.z" }] },
    { name: null, addresses: [{ name: null, email: "d@e.f" }] },
  ]);
  assert.deepEqual(parseAddressGroups("undisclosed-recipients:;"), [{
    name: "undisclosed-recipients",
    addresses: [],
  }]);
});

Deno.test("parseAddressList tolerates garbage", () => {
  assert.deepEqual(parseAddressList("John Smith jsmith@x.org"), [{
    name: "John Smith",
    email: "jsmith@x.org",
  }]);
  assert.deepEqual(parseAddressList("postmaster"), [{ name: null, email: "postmaster" }]);
  assert.deepEqual(parseAddressList("<a@b.c"), [{ name: null, email: "a@b.c" }]);
  assert.deepEqual(parseAddressList(",,,"), []);
  assert.deepEqual(parseAddressList("group:;, group2: (foo) ;"), []);
  assert.deepEqual(parseAddressList("Just A Name"), [{ name: "Just A Name", email: "" }]);
  fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => {
    parseAddressList(s);
    parseAddressGroups(s);
  }));
});

Deno.test("formatAddress quotes names when needed", () => {
  assert.equal(formatAddress({ name: null, email: "a@b.c" }), "a@b.c");
  assert.equal(formatAddress({ name: "Ann Lee", email: "a@b.c" }), "Ann Lee <a@b.c>");
  assert.equal(formatAddress({ name: "Lee, Ann", email: "a@b.c" }), '"Lee, Ann" <a@b.c>');
});
