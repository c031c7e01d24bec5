/**
 * Health on PostgreSQL (`[store] backend = "postgres"`): the store component is reported as
 * `postgresql`, healthy while the database answers, and down (the report 503) once the database
 * server is gone. A cluster of its own (tests/support/postgres_cluster.ts), stopped mid-test.
 */
import assert from "node:assert/strict";
import { startApiServer } from "./_server.ts";
import { startPostgresCluster } from "../support/postgres_cluster.ts";

interface Report {
  status: string;
  components: { name: string; status: string; responseMs: number; detail: string }[];
}

Deno.test("health on PostgreSQL: the postgresql component is healthy, then down when the database server stops", async () => {
  const cluster = await startPostgresCluster();
  try {
    const url = await cluster.createDatabase();
    const t = await startApiServer(undefined, { store: { backend: "postgres", url } });
    try {
      const { hostname, port } = t.srv.addresses.http;
      const detailed = async () => {
        const res = await fetch(`http://${hostname}:${port}/health/detailed`);
        return { status: res.status, report: (await res.json()) as Report };
      };
      const up = await detailed();
      assert.equal(up.status, 200);
      const pg = up.report.components.find((c) => c.name === "postgresql");
      assert.equal(pg?.status, "healthy");
      assert.ok(!up.report.components.some((c) => c.name === "store"));

      await cluster.stop();
      const down = await detailed();
      assert.equal(down.status, 503);
      assert.equal(down.report.status, "down");
      const gone = down.report.components.find((c) => c.name === "postgresql")!;
      assert.equal(gone.status, "down");
      assert.ok(gone.detail.length > 0);
      // The components that do not need the database still answer for themselves.
      assert.equal(down.report.components.find((c) => c.name === "blobs")!.status, "healthy");
    } finally {
      await t.close();
    }
  } finally {
    await cluster.stop();
  }
});
