import assert from "node:assert/strict";
import { emptySummary } from "../message_index.ts";
import { SummaryCache } from "./summary_cache.ts";

const summary = (subject: string) => ({ ...emptySummary(), subject });

Deno.test("summary cache: a summary read again and again stays cached while many others come and go", () => {
  const cache = new SummaryCache(100);
  const hot = cache.set(1, summary("hot"));
  for (let row = 2; row < 1_000; row++) {
    cache.set(row, summary(`cold ${row}`));
    assert.equal(cache.get(1), hot, `hot entry lost after row ${row}`);
  }
});

Deno.test("summary cache: holds at most maxEntries and drops what was not used for maxEntries additions", () => {
  const cache = new SummaryCache(100);
  for (let row = 1; row <= 1_000; row++) {
    cache.set(row, summary(`s ${row}`));
    assert.ok(cache.size <= 100, `${cache.size} held after row ${row}`);
  }
  assert.equal(cache.get(1), undefined);
  assert.equal(cache.get(1_000 - 100), undefined);
  // The last half of the capacity is always kept.
  for (let row = 1_000 - 49; row <= 1_000; row++) assert.equal(cache.get(row)?.subject, `s ${row}`);
});

Deno.test("summary cache: an entry is kept for at least maxEntries / 2 additions after its last use", () => {
  const cache = new SummaryCache(10);
  for (let start = 0; start < 5; start++) {
    cache.set(1_000 + start, summary("x"));
    for (let i = 0; i < 5; i++) cache.set(start * 10 + i, summary(`${i}`));
    assert.ok(cache.get(1_000 + start) !== undefined, `entry ${start} dropped within 5 additions`);
  }
});

Deno.test("summary cache: cached summaries are frozen, address lists included", () => {
  const cache = new SummaryCache(10);
  const s = cache.set(7, { ...summary("frozen"), from: [{ name: "A", email: "a@example.org" }] });
  assert.ok(Object.isFrozen(s) && Object.isFrozen(s.from) && Object.isFrozen(s.from[0]));
  assert.throws(() => {
    (s as { subject: string }).subject = "changed";
  }, TypeError);
  assert.equal(cache.get(7), s);
});
