import assert from "node:assert/strict";
import { StreamLimits } from "./stream_limits.ts";

Deno.test("StreamLimits caps streams per account, then per address, and frees slots once", () => {
  const s = new StreamLimits(() => ({ perAccount: 2, perAddress: 3 }));
  const a = s.acquire("A", "192.0.2.1");
  assert.ok("release" in a);
  assert.ok("release" in s.acquire("A", "192.0.2.1"));
  assert.deepEqual(s.acquire("A", "192.0.2.9"), { refused: "maxStreamsPerAccount" });
  assert.ok("release" in s.acquire("B", "192.0.2.1"));
  assert.deepEqual(s.acquire("C", "192.0.2.1"), { refused: "maxStreamsPerIp" });
  a.release();
  a.release();
  assert.ok("release" in s.acquire("C", "192.0.2.1"));
  assert.deepEqual(s.acquire("D", "192.0.2.1"), { refused: "maxStreamsPerIp" });
});
