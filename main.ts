/**
 * The `tern` executable: `tern serve`, and the administration commands (users, domains, aliases,
 * configuration check). See `tern --help`, README.md and docs/ARCHITECTURE.md.
 *
 * @module
 */
import denoJson from "./deno.json" with { type: "json" };
import type { Config } from "./core/config/types.ts";
import { loadConfig } from "./core/config/load.ts";
import { denoIo } from "./core/cli/io.ts";
import { runCli } from "./core/cli/run.ts";
import { ExitCode } from "./core/cli/errors.ts";
import { serviceNotifier } from "./core/setup/service_notify.ts";

/** Tern's version (from deno.json). */
export const VERSION: string = denoJson.version;

/**
 * `tern serve`: starts every enabled listener and resolves with the exit code once the server has
 * stopped (SIGINT/SIGTERM: graceful stop; a second signal exits at once; SIGHUP: reload).
 */
async function serve(config: Config, _io: unknown, configPath: string | undefined): Promise<number> {
  const { createServer, installSignalHandlers } = await import("./mod.ts");
  const srv = await createServer(config);
  const notifier = serviceNotifier({
    onError: (message) => srv.context.log.warn("service manager notification failed", { error: message }),
  });
  const removeSignals = installSignalHandlers(srv, {
    loadConfig: () => loadConfig(configPath),
    onStopping: () => void notifier.stopping(),
    onReloading: () => void notifier.reloading(),
    onReloaded: () => void notifier.ready("reloaded"),
  });
  try {
    await srv.start();
    await notifier.ready("serving");
    await srv.finished;
  } catch (e) {
    await srv.stop().catch(() => {});
    throw e;
  } finally {
    removeSignals();
  }
  return ExitCode.ok;
}

if (import.meta.main) {
  const code = await runCli(Deno.args, denoIo, { version: VERSION, serve });
  Deno.exit(code);
}
