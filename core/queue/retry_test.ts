import assert from "node:assert/strict";
import { retryDelayMs } from "./retry.ts";

Deno.test("retryDelayMs doubles from the base and stops at the cap", () => {
  const s = { base: 60, max: 3600 };
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => retryDelayMs(s, n) / 1000), [
    60,
    120,
    240,
    480,
    960,
    1920,
    3600,
    3600,
  ]);
  assert.equal(retryDelayMs(s, 1000), 3_600_000);
  assert.equal(retryDelayMs(s, 0), 60_000);
});
