import assert from "node:assert/strict";
import { PendingPuts } from "./pending_puts.ts";

Deno.test("PendingPuts counts puts until each is settled, expires them and keeps a bounded number", () => {
  let now = 1_000;
  const p = new PendingPuts(100, 2, () => now);
  p.add("a");
  p.add("a");
  p.settle("a");
  assert.equal(p.pending("a"), true, "one of two puts still unsettled");
  p.settle("a");
  assert.equal(p.pending("a"), false);
  p.settle("a"); // more settles than puts: nothing to undo
  p.add("a");
  assert.equal(p.pending("a"), true);
  now += 100;
  assert.equal(p.pending("a"), false, "past the TTL");
  p.add("b");
  assert.equal(p.size, 1, "the expired entry is pruned by the next put");
  p.add("c");
  p.add("d");
  assert.equal(p.size, 2);
  assert.equal(p.pending("b"), false, "the oldest goes past the bound");
  assert.equal(p.pending("c") && p.pending("d"), true);
});
