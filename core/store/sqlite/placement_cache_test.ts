import assert from "node:assert/strict";
import type { Placement } from "../types.ts";
import { lowerBound, PlacementCache, type PlacementSource } from "./placement_cache.ts";

function placement(uid: number, modseq: number, keywords: string[] = []): Placement {
  return { mailboxId: "m1", uid, messageId: `e${uid}`, modseq, keywords, size: 1, receivedAt: new Date(0) };
}

/** A source over an in-memory "database" that counts full loads. */
function source(rows: Placement[], expunged: { uid: number; modseq: number }[]) {
  const s = {
    fullLoads: 0,
    load(_row: number, since?: number) {
      if (since === undefined) s.fullLoads++;
      return rows.filter((p) => since === undefined || p.modseq > since).map((p) => ({ ...p }));
    },
    expungedSince(_row: number, modseq: number) {
      return expunged.filter((e) => e.modseq > modseq).map((e) => e.uid);
    },
  };
  return s satisfies PlacementSource & { fullLoads: number };
}

Deno.test("PlacementCache refreshes a cached list with changes and expunges only", () => {
  let rows = [placement(1, 1), placement(2, 2), placement(3, 3)];
  const expunged: { uid: number; modseq: number }[] = [];
  const src = source(rows, expunged);
  const cache = new PlacementCache();
  assert.deepEqual(cache.get(7, 3, src).map((p) => p.uid), [1, 2, 3]);
  assert.equal(cache.get(7, 3, src), cache.get(7, 3, src));
  // Flag change on 2, expunge of 1, new 4.
  rows = [placement(2, 5, ["$seen"]), placement(3, 3), placement(4, 6)];
  expunged.push({ uid: 1, modseq: 4 });
  const src2 = { ...src, load: (r: number, since?: number) => source(rows, expunged).load(r, since) };
  const list = cache.get(7, 6, src2);
  assert.deepEqual(list.map((p) => [p.uid, p.keywords]), [[2, ["$seen"]], [3, []], [4, []]]);
  assert.equal(src.fullLoads, 1);
  assert.ok(Object.isFrozen(list[0]));
  assert.throws(() => {
    (list[0] as { uid: number }).uid = 9;
  }, TypeError);
});

Deno.test("PlacementCache evicts beyond its size bound", () => {
  const src = source([placement(1, 1), placement(2, 2)], []);
  const cache = new PlacementCache(3);
  cache.get(1, 2, src);
  cache.get(2, 2, src);
  assert.equal(cache.has(1), false);
  assert.equal(cache.has(2), true);
  cache.invalidate();
  assert.equal(cache.has(2), false);
});

Deno.test("lowerBound finds the first placement at or above a UID", () => {
  const list = [placement(2, 1), placement(5, 1), placement(9, 1)];
  assert.deepEqual([1, 2, 3, 5, 9, 10].map((u) => lowerBound(list, u)), [0, 0, 1, 1, 2, 3]);
});

Deno.test("PlacementCache starts a cold load from the source's snapshot plus the delta", () => {
  const rows = [placement(1, 1), placement(3, 5, ["$seen"]), placement(4, 6)];
  const expunged = [{ uid: 2, modseq: 4 }];
  const cold: [number, number | null][] = [];
  const src = Object.assign(source(rows, expunged), {
    snapshot: () => ({ highestModseq: 3, list: [placement(1, 1), placement(2, 2), placement(3, 3)] }),
    coldLoaded: (_row: number, modseq: number, _list: readonly Placement[], delta: number | null) => {
      cold.push([modseq, delta]);
    },
  });
  const list = new PlacementCache().get(7, 6, src, 3);
  assert.deepEqual(list.map((p) => [p.uid, p.modseq, p.keywords]), [[1, 1, []], [3, 5, ["$seen"]], [
    4,
    6,
    [],
  ]]);
  assert.equal(src.fullLoads, 0);
  // Two changed placements and one expunge were applied to the snapshot.
  assert.deepEqual(cold, [[6, 3]]);
});

Deno.test("PlacementCache loads everything when the snapshot is newer or its count is wrong", () => {
  const rows = [placement(1, 1), placement(2, 2)];
  for (const [snapModseq, count] of [[3, 2], [2, 5]]) {
    const cold: (number | null)[] = [];
    const src = Object.assign(source(rows, []), {
      snapshot: () => ({ highestModseq: snapModseq!, list: [placement(1, 1)] }),
      coldLoaded: (_r: number, _m: number, _l: readonly Placement[], delta: number | null) =>
        void cold.push(delta),
    });
    const list = new PlacementCache().get(7, 2, src, count);
    assert.deepEqual(list.map((p) => p.uid), [1, 2]);
    assert.equal(src.fullLoads, 1);
    assert.deepEqual(cold, [null]);
  }
});

Deno.test("PlacementCache.entries lists cached mailboxes with their MODSEQ", () => {
  const cache = new PlacementCache();
  cache.get(4, 2, source([placement(1, 1), placement(2, 2)], []));
  assert.deepEqual([...cache.entries()].map((e) => [e.mailboxRow, e.highestModseq, e.list.length]), [[
    4,
    2,
    2,
  ]]);
});
