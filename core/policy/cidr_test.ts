import assert from "node:assert/strict";
import { CidrList } from "./cidr.ts";

Deno.test("CidrList matches IPv4 and IPv6 blocks and bare addresses", () => {
  const l = new CidrList(["192.0.2.0/24", "2001:db8::/32", "198.51.100.7"]);
  assert.equal(l.contains("192.0.2.200"), true);
  assert.equal(l.contains("192.0.3.1"), false);
  assert.equal(l.contains("2001:db8:1::5"), true);
  assert.equal(l.contains("2001:db9::1"), false);
  assert.equal(l.contains("198.51.100.7"), true);
  assert.equal(l.contains("198.51.100.8"), false);
});

Deno.test("CidrList treats IPv4-mapped IPv6 as IPv4", () => {
  const l = new CidrList(["127.0.0.0/8"]);
  assert.equal(l.contains("::ffff:127.0.0.2"), true);
  assert.equal(new CidrList(["::ffff:10.0.0.0/104"]).contains("10.1.2.3"), true);
});

Deno.test("CidrList is empty-safe, rejects bad blocks, and never matches garbage", () => {
  assert.equal(new CidrList([]).contains("127.0.0.1"), false);
  assert.throws(() => new CidrList(["300.1.1.1/8"]), RangeError);
  assert.throws(() => new CidrList(["10.0.0.0/33"]), RangeError);
  assert.equal(new CidrList(["0.0.0.0/0"]).contains("not an ip"), false);
  assert.equal(new CidrList(["0.0.0.0/0"]).contains("8.8.8.8"), true);
});
