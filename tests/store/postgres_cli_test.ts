/**
 * The `tern` CLI on a PostgreSQL store: with `[store] backend = "postgres"` in tern.toml, directory
 * commands (run with the `tern` task's permissions) read and write the PostgreSQL database, not a
 * SQLite file in ./data.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { tern } from "../cli/_tern.ts";
import { sharedPostgresCluster } from "../support/postgres_cluster.ts";
import { PostgresStore } from "../../core/store/postgres/postgres_store.ts";

Deno.test("tern domain and user commands work on the PostgreSQL store named in tern.toml", async () => {
  const cluster = await sharedPostgresCluster();
  const url = await cluster.createDatabase();
  const dir = await Deno.makeTempDir({ prefix: "tern-pg-cli-" });
  try {
    await Deno.writeTextFile(
      join(dir, "tern.toml"),
      `local_domains = ["example.org"]\n\n[store]\nbackend = "postgres"\nurl = "${url}"\n`,
    );
    const domain = await tern(dir, ["domain", "add", "example.org", "--config", "tern.toml"]);
    assert.equal(domain.code, 0, domain.stderr);
    const add = await tern(dir, [
      "user",
      "add",
      "ada@example.org",
      "--password-stdin",
      "--config",
      "tern.toml",
    ], "ada-secret\n");
    assert.equal(add.code, 0, add.stderr);
    const list = await tern(dir, ["user", "list", "--config", "tern.toml"]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /ada@example\.org/);
    const store = await PostgresStore.open({ url, blobDir: join(dir, "data", "blobs"), poolSize: 1 });
    try {
      assert.deepEqual((await store.listAccounts()).map((a) => a.address), ["ada@example.org"]);
      assert.ok((await store.getSecrets((await store.listAccounts())[0]!.id))?.passwordHash);
    } finally {
      await store.close();
    }
    assert.equal(await Deno.stat(join(dir, "data", "tern.db")).then(() => true, () => false), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await cluster.dropDatabase(url);
  }
});
