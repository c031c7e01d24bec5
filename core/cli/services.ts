/**
 * Opens what directory commands need from a configuration: the SQLite store of its data directory
 * and the password hasher of the auth service.
 *
 * @module
 */
import type { Config } from "../config/types.ts";
import { SqliteStore } from "../store/sqlite/sqlite_store.ts";
import { createAuthService } from "../auth/service.ts";
import { systemClock } from "../clock.ts";
import type { Directory } from "./spec.ts";

/** Opens the store under `config.data_dir`; the caller closes `dir.store`. */
export async function openDirectory(config: Config): Promise<Directory> {
  await Deno.mkdir(config.data_dir, { recursive: true });
  const store = await SqliteStore.open({ dataDir: config.data_dir });
  try {
    const auth = createAuthService(store, config, systemClock);
    return { store, hasher: auth };
  } catch (e) {
    await store.close();
    throw e;
  }
}
