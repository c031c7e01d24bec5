import assert from "node:assert/strict";
import { addressKey } from "./address_key.ts";

Deno.test("addressKey groups IPv6 by /64 and unmaps IPv4-mapped addresses", () => {
  assert.equal(addressKey("192.0.2.1"), "192.0.2.1");
  assert.equal(addressKey("::ffff:192.0.2.1"), "192.0.2.1");
  assert.equal(addressKey("2001:db8:1:2::1"), addressKey("2001:db8:1:2:ffff::9"));
  assert.notEqual(addressKey("2001:db8:1:2::1"), addressKey("2001:db8:1:3::1"));
  assert.equal(addressKey("2001:db8:1:2::1"), "2001:db8:1:2::/64");
  assert.equal(addressKey("not-an-ip"), "not-an-ip");
});
