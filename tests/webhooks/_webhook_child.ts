/**
 * Child process of webhook_crash_test.ts (not a test): runs a real server on a given data
 * directory, prints its SMTP port, and stops on SIGTERM (or is killed with SIGKILL).
 *
 * @module
 */
import { createServer, installSignalHandlers } from "../../protocols/server.ts";
import { type DeepPartial, testConfig } from "../../core/config/test_config.ts";
import type { Config } from "../../core/config/types.ts";

const [dataDir, overrides] = Deno.args;
const srv = await createServer(testConfig(dataDir!, JSON.parse(overrides!) as DeepPartial<Config>));
await srv.start();
installSignalHandlers(srv);
console.log(JSON.stringify({ smtp: srv.addresses.smtp!.port }));
await srv.finished;
Deno.exit(0);
