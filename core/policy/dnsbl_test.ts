import assert from "node:assert/strict";
import { dnsListName, isListing } from "./dnsbl.ts";

Deno.test("dnsbl: query names reverse IPv4 octets and IPv6 nibbles (RFC 5782 §2.1, §2.4)", () => {
  assert.equal(dnsListName("192.0.2.99", "bl.test"), "99.2.0.192.bl.test");
  assert.equal(dnsListName("::ffff:192.0.2.99", "bl.test"), "99.2.0.192.bl.test");
  assert.equal(
    dnsListName("2001:db8:1:2:3:4:567:89ab", "bl.test"),
    "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.bl.test",
  );
  assert.equal(dnsListName("not-an-ip", "bl.test"), null);
});

Deno.test("dnsbl: any 127/8 answer lists except the 127.255.255/24 error codes; configured codes restrict it", () => {
  assert.equal(isListing({ zone: "z" }, "127.0.0.2"), true);
  assert.equal(isListing({ zone: "z" }, "127.255.255.254"), false);
  assert.equal(isListing({ zone: "z" }, "10.0.0.1"), false);
  assert.equal(isListing({ zone: "z", codes: ["127.0.0.4"] }, "127.0.0.2"), false);
  assert.equal(isListing({ zone: "z", codes: ["127.0.0.4"] }, "127.0.0.4"), true);
});
