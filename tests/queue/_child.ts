/**
 * Child process of the durability test: runs the queue of a data dir against a relay until killed.
 * Usage: deno run --allow-all _child.ts DATA_DIR RELAY_HOST:PORT
 */
import { SqliteStore } from "../../core/store/sqlite/sqlite_store.ts";
import { defaultConfig } from "../../core/config/defaults.ts";
import { systemClock } from "../../core/clock.ts";
import { nullLogger } from "../../core/log/logger.ts";
import { startQueue } from "../../core/queue/start.ts";
import { StaticDnsResolver } from "../../core/dns/resolver.ts";

const [dataDir, relay] = Deno.args;
const config = defaultConfig();
config.data_dir = dataDir!;
config.queue = { ...config.queue!, concurrency: 1, relay: { hosts: [relay!], tls: "none" } };
const store = await SqliteStore.open({ dataDir: dataDir! });
startQueue({ config, store, log: nullLogger, clock: systemClock }, { dns: new StaticDnsResolver() });
console.log("ready");
