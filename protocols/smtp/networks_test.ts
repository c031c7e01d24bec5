import assert from "node:assert/strict";
import { NetworkList } from "./networks.ts";

Deno.test("NetworkList matches IPv4 and IPv6 CIDRs and IPv4-mapped addresses", () => {
  const l = new NetworkList(["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"]);
  assert.ok(l.contains("10.200.0.1"));
  assert.ok(l.contains("::ffff:10.0.0.1"));
  assert.ok(l.contains("2001:db8:1::5"));
  assert.ok(l.contains("192.0.2.7"));
  assert.ok(!l.contains("192.0.2.8"));
  assert.ok(!l.contains("2001:db9::1"));
  assert.ok(!l.contains("not an ip"));
  assert.ok(!new NetworkList([]).contains("127.0.0.1"));
});

Deno.test("NetworkList rejects invalid entries with SyntaxError", () => {
  assert.throws(() => new NetworkList(["10.0.0.0/33"]), SyntaxError);
  assert.throws(() => new NetworkList(["example.org"]), SyntaxError);
});
