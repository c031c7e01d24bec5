/**
 * The server process of the double-SIGINT regression test (not a test file): starts a server on
 * port 0 in the data directory given as the first argument, with `shutdown_grace` from the second
 * argument, wires the signals as `tern serve` does, prints the bound addresses as one JSON line and
 * exits 0 once the server has stopped.
 *
 * @module
 */
import { join } from "node:path";
import { createServer, installSignalHandlers, testConfig } from "../../mod.ts";

const dir = Deno.args[0]!;
const config = testConfig(dir, {
  shutdown_grace: Number(Deno.args[1] ?? "3"),
  log: { level: "info", output: join(dir, "tern.log") },
});
const srv = await createServer(config);
await srv.start();
installSignalHandlers(srv);
console.log(JSON.stringify(srv.addresses));
await srv.finished;
Deno.exit(0);
