/**
 * The PostgreSQL backend runs under the scoped permissions of `deno task start` / `tern`: the
 * driver reads libpq's PG* environment variables (allowed as `PG*`), connects over the network and
 * writes blobs only under ./data.
 *
 * @module
 */
import assert from "node:assert/strict";
import { DENO_JSON, taskPermissionFlags } from "../cli/_tern.ts";
import { sharedPostgresCluster } from "../support/postgres_cluster.ts";

const CHILD = new URL("./_pg_perm_child.ts", import.meta.url).pathname;

for (const task of ["start", "tern"]) {
  Deno.test(`PostgresStore opens, writes and reads under the ${task} task's permissions`, async () => {
    const cluster = await sharedPostgresCluster();
    const url = await cluster.createDatabase();
    const dir = await Deno.makeTempDir({ prefix: "tern-pg-perm-" });
    try {
      await Deno.mkdir(`${dir}/data`);
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--quiet", "--config", DENO_JSON, ...(await taskPermissionFlags(task)), CHILD, url],
        cwd: dir,
        stdin: "null",
        env: { NO_COLOR: "1" },
      }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), {
        domains: ["example.org"],
        messages: 1,
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
      await cluster.dropDatabase(url);
    }
  });
}
