import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { defaultSuites, findSuites } from "./run.ts";

Deno.test("findSuites lists the directories holding a mod.ts, sorted", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const name of ["smtp", "imap", "empty", "other"]) await Deno.mkdir(join(dir, name));
    await Deno.writeTextFile(join(dir, "smtp", "mod.ts"), "");
    await Deno.writeTextFile(join(dir, "imap", "mod.ts"), "");
    await Deno.writeTextFile(join(dir, "other", "bench.ts"), "");
    await Deno.writeTextFile(join(dir, "mod.ts"), "");
    assert.deepEqual(await findSuites(pathToFileURL(dir + "/")), ["imap", "smtp"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a bare bench run leaves out the opt-in peer harness but keeps every other suite", () => {
  assert.deepEqual(defaultSuites(["imap", "peers", "smtp"]), ["imap", "smtp"]);
});
