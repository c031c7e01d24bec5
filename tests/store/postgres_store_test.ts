/**
 * Runs the Store contract (and through it the records contract) against `PostgresStore` on a
 * throwaway PostgreSQL cluster (tests/support/postgres_cluster.ts): a fresh database and blob
 * directory per test, reopened on the same database where the contract reopens.
 *
 * @module
 */
import assert from "node:assert/strict";
import { PostgresStore } from "../../core/store/postgres/postgres_store.ts";
import { sharedPostgresCluster } from "../support/postgres_cluster.ts";
import { storeContract } from "./store_contract.ts";

/** A database with every migration applied, copied for each test (CREATE DATABASE … TEMPLATE). */
let migrated: Promise<string> | null = null;
function migratedTemplate(): Promise<string> {
  migrated ??= (async () => {
    const cluster = await sharedPostgresCluster();
    const url = await cluster.createDatabase();
    const blobDir = await Deno.makeTempDir({ prefix: "tern-pg-blobs-" });
    await (await PostgresStore.open({ url, blobDir, poolSize: 1 })).close();
    await Deno.remove(blobDir, { recursive: true });
    return url;
  })();
  return migrated;
}

storeContract("PostgresStore", async () => {
  const cluster = await sharedPostgresCluster();
  const url = await cluster.createDatabase(await migratedTemplate());
  const blobDir = await Deno.makeTempDir({ prefix: "tern-pg-blobs-" });
  return {
    open: (opts) => PostgresStore.open({ url, blobDir, poolSize: 4, ...opts }),
    async cleanup() {
      await cluster.dropDatabase(url);
      await Deno.remove(blobDir, { recursive: true });
    },
  };
});

Deno.test("PostgresStore sessions commit synchronously and every component is in the one migration ledger", async () => {
  const cluster = await sharedPostgresCluster();
  const url = await cluster.createDatabase();
  const blobDir = await Deno.makeTempDir({ prefix: "tern-pg-blobs-" });
  const store = await PostgresStore.open({ url, blobDir, poolSize: 1 });
  try {
    // Durability contract: COMMIT returns after the WAL is flushed (core/store/store.ts).
    const [sc] = await store.sql<{ v: string }[]>`SELECT current_setting('synchronous_commit') AS v`;
    assert.equal(sc!.v, "on");
    const [fs] = await store.sql<{ v: string }[]>`SELECT current_setting('fsync') AS v`;
    assert.equal(fs!.v, "on");
    const rows = await store.sql<{ component: string }[]>`
      SELECT DISTINCT component FROM schema_migrations ORDER BY component`;
    const components = rows.map((r) => r.component);
    for (const c of ["store", "records", "tenancy", "webhooks", "sieve"]) {
      assert.ok(components.includes(c), c);
    }
    // Reopening applies nothing twice.
    const before = (await store.sql`SELECT 1 FROM schema_migrations`).length;
    await (await PostgresStore.open({ url, blobDir, poolSize: 1 })).close();
    assert.equal((await store.sql`SELECT 1 FROM schema_migrations`).length, before);
  } finally {
    await store.close();
    await cluster.dropDatabase(url);
    await Deno.remove(blobDir, { recursive: true });
  }
});
