/**
 * Opens what directory commands need from a configuration: the configured store (`[store]`: SQLite
 * in its data directory, or PostgreSQL) and the password hasher of the auth service.
 *
 * @module
 */
import type { Config } from "../config/types.ts";
import { openStore } from "../store/open.ts";
import { createAuthService } from "../auth/service.ts";
import { systemClock } from "../clock.ts";
import type { Directory } from "./spec.ts";

/** Opens the configured store; the caller closes `dir.store`. */
export async function openDirectory(config: Config): Promise<Directory> {
  await Deno.mkdir(config.data_dir, { recursive: true });
  const store = await openStore(config, systemClock);
  try {
    const auth = createAuthService(store, config, systemClock);
    return { store, hasher: auth };
  } catch (e) {
    await store.close();
    throw e;
  }
}
