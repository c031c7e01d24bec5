/**
 * Opens the store the configuration names (`[store] backend`): the embedded SQLite database in
 * `data_dir` (default), or PostgreSQL at `[store] url` with message blobs under
 * `<data_dir>/blobs`. The one place that chooses a backend; everything else sees `Store`.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type { Config } from "../config/types.ts";
import type { Store } from "./store.ts";
import type { BackupReport } from "./backup.ts";
import { SqliteStore } from "./sqlite/sqlite_store.ts";
import { PostgresStore } from "./postgres/postgres_store.ts";

/** Opens the configured store. Fails when `backend = "postgres"` has no `url`. */
export async function openStore(config: Pick<Config, "data_dir" | "store">, clock: Clock): Promise<Store> {
  const backend = config.store?.backend ?? "sqlite";
  if (backend === "postgres") {
    const url = config.store.url;
    if (!url) throw new Error('[store] backend = "postgres" needs [store] url');
    return await PostgresStore.open({ url, blobDir: `${config.data_dir}/blobs`, clock });
  }
  return await SqliteStore.open({ dataDir: config.data_dir, clock });
}

/**
 * Opens a store's `replicaDir` (the SQLite data dir of a running server) for reading only, on
 * another thread: no migrations, no background work, every write refused (`refusedWrites`).
 */
export async function openReadOnlyStore(dataDir: string): Promise<Store> {
  return await SqliteStore.open({ dataDir, readOnly: true });
}

/**
 * Restores a `tern backup` copy into the configured (empty) data directory. SQLite only: a
 * PostgreSQL store is restored with PostgreSQL's own tools (pg_restore).
 */
export async function restoreStore(
  config: Pick<Config, "data_dir" | "store">,
  src: string,
): Promise<BackupReport> {
  if ((config.store?.backend ?? "sqlite") === "postgres") {
    throw new Error("tern restore works on the SQLite backend; restore PostgreSQL with pg_restore");
  }
  return await SqliteStore.restore(src, config.data_dir);
}
