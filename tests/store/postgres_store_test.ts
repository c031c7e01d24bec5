/**
 * Runs the Store contract (and through it the records contract) against `PostgresStore` on a
 * throwaway PostgreSQL cluster (tests/support/postgres_cluster.ts): a fresh database and blob
 * directory per test, reopened on the same database where the contract reopens.
 *
 * @module
 */
import { PostgresStore } from "../../core/store/postgres/postgres_store.ts";
import { sharedPostgresCluster } from "../support/postgres_cluster.ts";
import { storeContract } from "./store_contract.ts";

storeContract("PostgresStore", async () => {
  const cluster = await sharedPostgresCluster();
  const url = await cluster.createDatabase();
  const blobDir = await Deno.makeTempDir({ prefix: "tern-pg-blobs-" });
  return {
    open: (opts) => PostgresStore.open({ url, blobDir, poolSize: 4, ...opts }),
    async cleanup() {
      await cluster.dropDatabase(url);
      await Deno.remove(blobDir, { recursive: true });
    },
  };
});
