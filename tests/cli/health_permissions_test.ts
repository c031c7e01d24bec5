/**
 * The health checks run under the permissions of `deno task start`: the disk check's `statfs` needs
 * `--allow-sys=statfs`, the blob probe writes under `./data`. A child Deno with exactly the task's
 * flags runs them in a temporary working directory.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DENO_JSON, taskPermissionFlags } from "./_tern.ts";

const CHECKS = new URL("../../core/health/checks.ts", import.meta.url).href;
const CONFIG = new URL("../../core/config/test_config.ts", import.meta.url).href;

const PROBE = `
import { blobCheck, diskCheck, runCheck } from "${CHECKS}";
import { testConfig } from "${CONFIG}";
const config = testConfig("./data");
const deps = { config, store: null, clock: { now: () => new Date() }, dns: null, certificates: () => [] };
const out = {};
for (const check of [diskCheck(deps), blobCheck(deps)]) {
  const r = await runCheck(check);
  out[r.name] = r.status + ": " + r.detail;
}
console.log(JSON.stringify(out));
`;

Deno.test("the disk and blob health checks are healthy under the start task's permissions", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tern-health-perm-" });
  try {
    await Deno.mkdir(join(dir, "data"));
    const probe = join(dir, "probe.ts");
    await Deno.writeTextFile(probe, PROBE);
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--no-check",
        "--config",
        DENO_JSON,
        ...(await taskPermissionFlags("start")),
        probe,
      ],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    const result = JSON.parse(new TextDecoder().decode(out.stdout)) as Record<string, string>;
    assert.match(result.disk ?? "", /^healthy: \d+ MiB free$/, JSON.stringify(result));
    assert.match(result.blobs ?? "", /^healthy: /, JSON.stringify(result));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
