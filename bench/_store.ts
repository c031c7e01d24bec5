/**
 * `--store sqlite|postgres` for the benchmarks: with `postgres` a throwaway PostgreSQL cluster is
 * started (tests/support/postgres_cluster.ts; stopped when the bench process exits) and a fresh
 * database made; the server child gets its URL (`--store-url`) and runs with `[store] backend =
 * "postgres"`. Message blobs stay in the server's data dir either way.
 *
 * @module
 */
import { sharedPostgresCluster } from "../tests/support/postgres_cluster.ts";
import type { Config } from "../core/config/types.ts";

/** Checks `--store` and, for `postgres`, starts the cluster and returns a fresh database's URL. */
export async function benchStoreUrl(store: string): Promise<string | undefined> {
  if (store === "sqlite") return undefined;
  if (store !== "postgres") throw new Error("--store is sqlite or postgres");
  return await (await sharedPostgresCluster()).createDatabase();
}

/** The `[store]` override of the server's config for a `--store-url` (none: SQLite). */
export function storeConfig(url: string | undefined): { store?: Config["store"] } {
  return url ? { store: { backend: "postgres", url } } : {};
}
