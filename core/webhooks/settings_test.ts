import assert from "node:assert/strict";
import { retryDelayMs, webhookSettings } from "./settings.ts";
import { defaultConfig } from "../config/defaults.ts";

Deno.test("retry delays double from the base and stop at the cap: 60, 120, 240, 480, 960, 960 s by default", () => {
  const s = webhookSettings(defaultConfig());
  const delays = [1, 2, 3, 4, 5, 6, 50].map((n) => retryDelayMs(n, s.retryBaseMs, s.retryMaxMs) / 1000);
  assert.deepEqual(delays, [60, 120, 240, 480, 960, 960, 960]);
  assert.equal(s.lifetimeMs, 86_400_000);
  assert.equal(retryDelayMs(3, 10_000, 3_600_000), 40_000);
});
