import assert from "node:assert/strict";
import { join } from "node:path";
import { DENO_JSON, taskPermissionFlags } from "./_tern.ts";

// Tries writes inside and outside ./data and reports which ones the permission flags allowed.
const PROBE = `
const targets = Deno.args;
const results = {};
for (const t of targets) {
  try {
    await Deno.writeTextFile(t, "x");
    results[t] = "written";
  } catch (e) {
    results[t] = e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied
      ? "refused"
      : "error: " + e.message;
  }
}
console.log(JSON.stringify(results));
`;

for (const task of ["start", "tern"]) {
  Deno.test(`deno.json ${task} task refuses writes outside the data directory`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.mkdir(join(dir, "data"));
      const probe = join(dir, "probe.js");
      await Deno.writeTextFile(probe, PROBE);
      const targets = [
        "./data/inside.txt",
        "./outside.txt",
        join(dir, "abs-outside.txt"),
        "./data/../escape.txt",
      ];
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--quiet",
          "--config",
          DENO_JSON,
          ...(await taskPermissionFlags(task)),
          probe,
          ...targets,
        ],
        cwd: dir,
        stdin: "null",
        env: { NO_COLOR: "1" },
      }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      const results = JSON.parse(new TextDecoder().decode(out.stdout));
      assert.deepEqual(results, {
        "./data/inside.txt": "written",
        "./outside.txt": "refused",
        [join(dir, "abs-outside.txt")]: "refused",
        "./data/../escape.txt": "refused",
      });
      const left = [];
      for await (const e of Deno.readDir(dir)) left.push(e.name);
      assert.deepEqual(left.sort(), ["data", "probe.js"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("deno.json tasks never grant all permissions", async () => {
  const json = JSON.parse(await Deno.readTextFile(DENO_JSON)) as { tasks: Record<string, string> };
  for (const [name, command] of Object.entries(json.tasks)) {
    assert.doesNotMatch(command, /(^|\s)(-A|--allow-all)(\s|$)/, name);
  }
});
