import assert from "node:assert/strict";
import { canonicalDn } from "./dn.ts";

Deno.test("canonicalDn drops spaces around separators and upper-cases attribute types", () => {
  assert.equal(canonicalDn("cn=gw.example.com, o=Example , c=DE"), "CN=gw.example.com,O=Example,C=DE");
  assert.equal(canonicalDn("CN=gw.example.com,O=Example,C=DE"), "CN=gw.example.com,O=Example,C=DE");
});

Deno.test("canonicalDn keeps escaped separators inside values and re-escapes them one way", () => {
  assert.equal(canonicalDn("CN=Smith\\, John,O=ACME"), "CN=Smith\\, John,O=ACME");
  // RFC 4514 §3: a hex pair is the same character as its escape.
  assert.equal(canonicalDn("CN=Smith\\2C John,O=ACME"), "CN=Smith\\, John,O=ACME");
  assert.equal(canonicalDn("CN=\\23hash"), "CN=\\#hash");
  assert.equal(canonicalDn("CN=caf\\C3\\A9"), "CN=café");
  // RFC 4514 §2.4: a trailing space is escaped; spaces around separators are not part of values.
  assert.equal(canonicalDn("CN=a\\ , O=b"), "CN=a\\ ,O=b");
});

Deno.test("canonicalDn writes multi-valued RDNs with + and other types as OIDs", () => {
  assert.equal(canonicalDn("cn=a + uid=b, dc=example"), "CN=a+UID=b,DC=example");
  assert.equal(canonicalDn("E=gw@example.com,CN=gw"), "1.2.840.113549.1.9.1=gw@example.com,CN=gw");
  assert.equal(canonicalDn("2.5.4.3=gw"), "CN=gw");
});

Deno.test("canonicalDn keeps value case: values compare exactly", () => {
  assert.notEqual(canonicalDn("CN=GW"), canonicalDn("CN=gw"));
});

Deno.test("canonicalDn refuses malformed names", () => {
  assert.throws(() => canonicalDn("gw.example.com"), SyntaxError);
  assert.throws(() => canonicalDn("CN=a,,O=b"), SyntaxError);
  assert.throws(() => canonicalDn("XYZ=a"), SyntaxError);
  assert.throws(() => canonicalDn("CN=a\\"), SyntaxError);
});
