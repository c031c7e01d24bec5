/**
 * The contract of the junk filter's counts (`Store.junkTokens`, core/spam), registered by
 * tests/store/records_contract.ts for every backend that has them.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Store } from "../../core/store/store.ts";

/** Registers the cases. */
export function junkRecordsContract<C extends { store: Store }>(
  test: (title: string, fn: (c: C) => Promise<void>) => void,
  reopen: (c: C) => Promise<void>,
): void {
  test("junkTokens: training counts tokens and messages per class and account, untraining takes exactly that back, kept across a reopen", async (c) => {
    const jt = c.store.junkTokens;
    if (!jt) return;
    await jt.train("a1", {
      messageId: "m1",
      tokens: ["cheap", "pills", "cheap"],
      train: "spam",
      mark: "spam",
    });
    await jt.train("a1", { messageId: "m2", tokens: ["cheap", "meeting"], train: "ham", mark: "ham" });
    await jt.train("a2", { messageId: "m9", tokens: ["cheap"], train: "spam", mark: "spam" });
    await reopen(c);
    const j = c.store.junkTokens!;
    assert.deepEqual(await j.totals("a1"), { spam: 1, ham: 1 });
    assert.deepEqual(
      await j.counts("a1", ["cheap", "pills", "meeting", "unknown"]),
      new Map([["cheap", { spam: 1, ham: 1 }], ["pills", { spam: 1, ham: 0 }], ["meeting", {
        spam: 0,
        ham: 1,
      }]]),
    );
    assert.deepEqual(await j.marks("a1", ["m1", "m2", "m3"]), new Map([["m1", "spam"], ["m2", "ham"]]));
    // m1 was spam, the user says not junk: spam taken back, ham added, a token at 0/0 goes.
    await j.train("a1", {
      messageId: "m1",
      tokens: ["cheap", "pills"],
      untrain: "spam",
      train: "ham",
      mark: "ham",
    });
    assert.deepEqual(await j.totals("a1"), { spam: 0, ham: 2 });
    assert.deepEqual(
      await j.counts("a1", ["cheap", "pills"]),
      new Map([["cheap", { spam: 0, ham: 2 }], ["pills", { spam: 0, ham: 1 }]]),
    );
    // Untraining never goes below zero; a mark can be a bare "filed" or forgotten.
    await j.train("a1", { messageId: "m2", tokens: ["meeting"], untrain: "spam", mark: "filed" });
    assert.deepEqual(await j.counts("a1", ["meeting"]), new Map([["meeting", { spam: 0, ham: 1 }]]));
    assert.deepEqual(await j.totals("a1"), { spam: 0, ham: 2 });
    assert.equal((await j.marks("a1", ["m2"])).get("m2"), "filed");
    await j.train("a1", { messageId: "m2", tokens: [], mark: null });
    assert.deepEqual(await j.marks("a1", ["m2"]), new Map());
    // The other account is untouched.
    assert.deepEqual(await j.totals("a2"), { spam: 1, ham: 0 });
    assert.deepEqual(await j.counts("a2", ["cheap"]), new Map([["cheap", { spam: 1, ham: 0 }]]));
  });

  test("junkTokens: prune keeps the tokens seen in the most messages and the newest marks, per account", async (c) => {
    const jt = c.store.junkTokens;
    if (!jt) return;
    await jt.train("a1", { messageId: "m1", tokens: ["common", "rare1"], train: "spam", mark: "spam" });
    await jt.train("a1", { messageId: "m2", tokens: ["common", "rare2"], train: "spam", mark: "spam" });
    await jt.train("a1", { messageId: "m3", tokens: ["common", "rare3"], train: "ham", mark: "ham" });
    await jt.train("a2", { messageId: "m4", tokens: ["x1", "x2", "x3"], train: "ham", mark: "ham" });
    assert.equal(await jt.prune("a1", 2, 2), 2);
    const left = await jt.counts("a1", ["common", "rare1", "rare2", "rare3"]);
    // "common" (3 messages) stays; of the rare ones (1 each) the newest stays.
    assert.deepEqual([...left.keys()].sort(), ["common", "rare3"]);
    assert.deepEqual([...(await jt.marks("a1", ["m1", "m2", "m3"])).keys()].sort(), ["m2", "m3"]);
    assert.equal((await jt.counts("a2", ["x1", "x2", "x3"])).size, 3);
    assert.equal(await jt.prune("a1", 2, 2), 0);
  });
}
