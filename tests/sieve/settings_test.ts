/**
 * The `[sieve]` section: read from TOML with its bounds checked, and resolved into the limits every
 * interface applies (core/sieve/settings.ts); an absent section or key is the default.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../../core/config/load.ts";
import { ConfigError } from "../../core/config/errors.ts";
import { DEFAULT_SIEVE_LIMITS, sieveLimits } from "../../core/sieve/settings.ts";

Deno.test("[sieve]: keys become the limits; absent keys and an absent section are the defaults", () => {
  assert.deepEqual(sieveLimits(parseConfig("", "/etc/tern/tern.toml").sieve), DEFAULT_SIEVE_LIMITS);
  const config = parseConfig(
    "[sieve]\nmax_script_size = 4096\nmax_scripts = 3\nmax_actions = 10\nmax_redirects = 0\nmax_steps = 500\nmax_run_ms = 50\n",
    "/etc/tern/tern.toml",
  );
  const limits = sieveLimits(config.sieve);
  assert.equal(limits.maxScriptBytes, 4096);
  assert.equal(limits.maxScripts, 3);
  assert.deepEqual(
    [limits.run.maxActions, limits.run.maxRedirects, limits.run.maxSteps, limits.run.maxMillis],
    [10, 0, 500, 50],
  );
  // Limits not in the section keep their defaults.
  assert.equal(limits.run.maxIncludeDepth, DEFAULT_SIEVE_LIMITS.run.maxIncludeDepth);
  assert.equal(
    sieveLimits(parseConfig("[sieve]\nmax_scripts = 5\n", "/t.toml").sieve).maxScriptBytes,
    256 * 1024,
  );
});

Deno.test("[sieve]: out-of-range and unknown keys are configuration errors", () => {
  for (
    const bad of [
      "max_scripts = 0",
      "max_script_size = 10",
      "max_redirects = -1",
      "max_run_ms = 0",
      "max_rules = 3",
    ]
  ) {
    assert.throws(() => parseConfig(`[sieve]\n${bad}\n`, "/t.toml"), ConfigError, bad);
  }
});
