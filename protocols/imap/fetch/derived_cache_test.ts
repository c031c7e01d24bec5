import assert from "node:assert/strict";
import { DerivedCache } from "./derived_cache.ts";

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

Deno.test("DerivedCache: keeps values and keys within its bound, dropping the least recently used first", () => {
  const c = new DerivedCache(300);
  const k = (i: number) => DerivedCache.key(`b${i}`, "ENVELOPE", false); // 11 chars
  c.set(k(1), bytes(89));
  c.set(k(2), bytes(89));
  assert.equal(c.bytes, 200);
  assert.ok(c.get(k(1))); // now the most recent
  c.set(k(3), bytes(189)); // 400 > 300: k(2) goes, k(1) stays
  assert.equal(c.get(k(2)), undefined);
  assert.deepEqual(c.get(k(1)), bytes(89));
  assert.deepEqual(c.get(k(3)), bytes(189));
  assert.equal(c.bytes, 300);
  c.set(k(1), bytes(9, 2)); // replacing a value counts only the new one
  assert.equal(c.bytes, 220);
  assert.deepEqual(c.get(k(1)), bytes(9, 2));
});

Deno.test("DerivedCache: a value larger than the bound or than one entry's limit is not kept", () => {
  const c = new DerivedCache(1 << 20);
  c.set("a", bytes(64 * 1024 + 1));
  assert.equal(c.get("a"), undefined);
  const small = new DerivedCache(10);
  small.set("b", bytes(11));
  assert.equal(small.get("b"), undefined);
  assert.equal(small.bytes, 0);
});

Deno.test("DerivedCache: the key names the blob, the item and the UTF8=ACCEPT mode", () => {
  const keys = new Set([
    DerivedCache.key("x", "ENVELOPE", false),
    DerivedCache.key("x", "ENVELOPE", true),
    DerivedCache.key("x", "BODY", false),
    DerivedCache.key("x", "BODYSTRUCTURE", false),
    DerivedCache.key("y", "ENVELOPE", false),
  ]);
  assert.equal(keys.size, 5);
});
