/**
 * Wiring of the outbound queue into a running server: the resolver (static records from config, or
 * `node:dns`), DKIM keys from the database, and the scheduler.
 *
 * @module
 */
import type { Config } from "../config/types.ts";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { Store } from "../store/store.ts";
import type { Database } from "../store/sqlite/database.ts";
import { type DnsResolver, NodeDnsResolver, StaticDnsResolver } from "../dns/resolver.ts";
import { DkimKeyStore } from "../dkim/key_store.ts";
import { DkimSigner } from "../dkim/signer.ts";
import { Queue, type QueueOptions } from "./queue.ts";
import { queueSettings } from "./settings.ts";

/** The resolver a configuration asks for: its static records when given, else the system's DNS. */
export function resolverFor(config: Config): DnsResolver {
  const records = config.queue?.static_dns;
  return records && records.length > 0 ? new StaticDnsResolver(records) : new NodeDnsResolver();
}

/** The database of a store that has one (SqliteStore), else null. */
export function databaseOf(store: Store): Database | null {
  const db = (store as { database?: Database }).database;
  return db ?? null;
}

/**
 * Creates the queue for a server context (not started). Null when the store has no database
 * (a non-SQLite test store): the server then runs without an outbound queue.
 */
export function createQueue(
  ctx: { config: Config; store: Store; log: Logger; clock: Clock },
  overrides: Partial<QueueOptions> = {},
): Queue | null {
  const db = databaseOf(ctx.store);
  if (!db) return null;
  return new Queue({
    db,
    store: ctx.store,
    settings: queueSettings(ctx.config),
    clock: ctx.clock,
    log: ctx.log.with({ component: "queue" }),
    dns: resolverFor(ctx.config),
    dkim: new DkimSigner(new DkimKeyStore(db)),
    ...overrides,
  });
}

/**
 * Creates and starts the queue for a server context. The runtime calls it in createServer, puts the
 * result in `ServerContext.outbound`, and awaits `queue.stop()` before closing the store.
 */
export function startQueue(
  ctx: { config: Config; store: Store; log: Logger; clock: Clock },
  overrides: Partial<QueueOptions> = {},
): Queue | null {
  const q = createQueue(ctx, overrides);
  q?.start();
  return q;
}
