import assert from "node:assert/strict";
import fc from "fast-check";
import { chi2Q, classify, tokenProbability } from "./bayes.ts";

Deno.test("chi2Q: the survival function of chi-square at known points (2 and 4 degrees of freedom)", () => {
  // v = 2: Q = e^(-x/2); v = 4: Q = e^(-x/2)(1 + x/2).
  assert.ok(Math.abs(chi2Q(2, 2) - Math.exp(-1)) < 1e-12);
  assert.ok(Math.abs(chi2Q(6, 4) - Math.exp(-3) * 4) < 1e-12);
  assert.equal(chi2Q(0, 10), 1);
});

Deno.test("tokenProbability: spam-only tokens lean to spam, ham-only to ham, the prior pulls rare ones to 0.5", () => {
  const totals = { spam: 10, ham: 10 };
  const once = tokenProbability({ spam: 1, ham: 0 }, totals);
  const often = tokenProbability({ spam: 9, ham: 0 }, totals);
  assert.ok(once > 0.5 && often > once && often < 1, `${once} ${often}`);
  assert.ok(tokenProbability({ spam: 0, ham: 9 }, totals) < 0.1);
  assert.equal(tokenProbability({ spam: 3, ham: 3 }, totals), 0.5);
  // Frequencies, not raw counts: 1 of 1 spam against 1 of 100 hams is spammy.
  assert.ok(tokenProbability({ spam: 1, ham: 1 }, { spam: 1, ham: 100 }) > 0.6);
});

Deno.test("classify: spam words give a probability near 1, ham words near 0, unknown or mixed ones 0.5", () => {
  const counts = new Map([
    ["casino", { spam: 5, ham: 0 }],
    ["pills", { spam: 5, ham: 0 }],
    ["bonus", { spam: 4, ham: 0 }],
    ["meeting", { spam: 0, ham: 5 }],
    ["budget", { spam: 0, ham: 5 }],
    ["notes", { spam: 0, ham: 4 }],
    ["the", { spam: 5, ham: 5 }],
  ]);
  const totals = { spam: 5, ham: 5 };
  assert.ok(classify(["casino", "pills", "bonus", "the"], counts, totals).probability > 0.99);
  assert.ok(classify(["meeting", "budget", "notes", "the"], counts, totals).probability < 0.01);
  assert.deepEqual(classify(["unknown", "the"], counts, totals), { probability: 0.5, clues: 0 });
  const mixed = classify(["casino", "meeting"], counts, totals).probability;
  assert.ok(Math.abs(mixed - 0.5) < 0.01, String(mixed));
  assert.deepEqual(classify(["casino"], counts, { spam: 0, ham: 0 }), { probability: 0.5, clues: 0 });
});

Deno.test("classify: the probability stays within [0, 1] whatever the counts", () => {
  const count = fc.record({ spam: fc.nat(1000), ham: fc.nat(1000) });
  fc.assert(fc.property(fc.array(count, { maxLength: 300 }), count, (cs, totals) => {
    const counts = new Map(cs.map((c, i) => [`t${i}`, c]));
    const p = classify([...counts.keys()], counts, totals).probability;
    return Number.isFinite(p) && p >= 0 && p <= 1;
  }));
});
