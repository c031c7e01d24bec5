import assert from "node:assert/strict";
import { parseAddress, parseDomain, resolutionOrder } from "./addresses.ts";

Deno.test("parseDomain lowercases, drops one trailing dot, converts to A-labels and rejects non-host names", () => {
  assert.equal(parseDomain("Mail.Example.ORG."), "mail.example.org");
  assert.equal(parseDomain("bücher.example"), "xn--bcher-kva.example");
  assert.equal(parseDomain("localhost"), "localhost");
  for (
    const bad of [
      "",
      ".",
      "a_b.example",
      "-a.example",
      "a-.example",
      "a..b",
      "a b.example",
      "a@b",
      "1.2.3.4:25",
    ]
  ) {
    assert.equal(parseDomain(bad), null, bad);
  }
  assert.equal(parseDomain(`${"a".repeat(64)}.example`), null);
  assert.equal(parseDomain(`${"a".repeat(63)}.example`), `${"a".repeat(63)}.example`);
});

Deno.test("parseAddress keeps the local part, keys it in lowercase and admits * only as a catch-all", () => {
  assert.deepEqual(parseAddress(" Ada.L+news@Example.COM "), {
    address: "Ada.L+news@example.com",
    key: "ada.l+news@example.com",
    local: "Ada.L+news",
    domain: "example.com",
  });
  assert.equal(parseAddress("*@example.com"), null);
  assert.equal(parseAddress("*@example.com", { allowCatchAll: true })?.key, "*@example.com");
  // RFC 5321 §4.1.2 Dot-string and §4.5.3.1.1 (64 octets).
  for (
    const bad of [
      "ada",
      "@example.com",
      "ada@",
      "a..b@example.com",
      ".a@example.com",
      "a b@example.com",
      '"a"@example.com',
    ]
  ) {
    assert.equal(parseAddress(bad), null, bad);
  }
  assert.equal(parseAddress(`${"a".repeat(65)}@example.com`), null);
  assert.notEqual(parseAddress(`${"a".repeat(64)}@example.com`), null);
});

Deno.test("resolutionOrder: exact account, plus-address account, alias, plus-address alias, catch-all", () => {
  assert.deepEqual(resolutionOrder(parseAddress("Bob+Tag@example.org")!), [
    { kind: "account", key: "bob+tag@example.org" },
    { kind: "account", key: "bob@example.org" },
    { kind: "alias", key: "bob+tag@example.org" },
    { kind: "alias", key: "bob@example.org" },
    { kind: "alias", key: "*@example.org" },
  ]);
  // A leading "+" is part of the name, not a tag.
  assert.deepEqual(resolutionOrder(parseAddress("+x@example.org")!), [
    { kind: "account", key: "+x@example.org" },
    { kind: "alias", key: "+x@example.org" },
    { kind: "alias", key: "*@example.org" },
  ]);
});
