import assert from "node:assert/strict";
import { ConnectionCounter } from "./http_connections.ts";

Deno.test("ConnectionCounter refuses beyond the per-address limit, then beyond the listener's", () => {
  const limits = { maxConnections: 3, maxPerAddress: 2 };
  const c = new ConnectionCounter(() => limits);
  const a1 = c.admit("192.0.2.1");
  const a2 = c.admit("192.0.2.1");
  assert.equal(a1.admission, "ok");
  assert.equal(a2.admission, "ok");
  assert.equal(c.admit("192.0.2.1").admission, "address");
  assert.equal(c.admit("192.0.2.2").admission, "ok");
  assert.equal(c.admit("192.0.2.3").admission, "listener");
  assert.equal(c.total, 3);
  if (a1.admission !== "ok") throw new Error("unreachable");
  a1.release();
  a1.release(); // idempotent
  assert.equal(c.total, 2);
  assert.equal(c.from("192.0.2.1"), 1);
  assert.equal(c.admit("192.0.2.1").admission, "ok");
});

Deno.test("ConnectionCounter counts IPv6 by /64 and reads the limits on every admission", () => {
  const limits = { maxConnections: 100, maxPerAddress: 1 };
  const c = new ConnectionCounter(() => limits);
  assert.equal(c.admit("2001:db8:0:1::1").admission, "ok");
  assert.equal(c.admit("2001:db8:0:1::2").admission, "address");
  assert.equal(c.admit("2001:db8:0:2::1").admission, "ok");
  limits.maxPerAddress = 0; // 0: no per-address limit
  assert.equal(c.admit("2001:db8:0:1::3").admission, "ok");
});
