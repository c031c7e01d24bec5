/**
 * Helpers of the server wire tests: a server on port 0 in a temporary data directory with its JSON
 * log in a file, and small socket utilities.
 *
 * @module
 */
import { join } from "node:path";
import { createServer, type ServerHooks, type TernServer } from "../../mod.ts";
import { testConfig } from "../../core/config/test_config.ts";
import type { Config } from "../../core/config/types.ts";
import type { DeepPartial } from "../../core/config/test_config.ts";

/** A started test server and its data directory; `close()` stops it and removes the directory. */
export interface TestServer {
  srv: TernServer;
  dir: string;
  logPath: string;
  config: Config;
  close(): Promise<void>;
}

/** Starts a server with every listener on 127.0.0.1 port 0 and the log in `<dir>/tern.log`. */
export async function startTestServer(
  overrides: DeepPartial<Config> = {},
  hooks?: ServerHooks,
  dir?: string,
): Promise<TestServer> {
  const dataDir = dir ?? await Deno.makeTempDir({ prefix: "tern-runtime-" });
  const logPath = join(dataDir, "tern.log");
  const config = testConfig(dataDir, { log: { level: "debug", output: logPath }, ...overrides });
  const srv = await createServer(config, hooks);
  await srv.start();
  return {
    srv,
    dir: dataDir,
    logPath,
    config,
    async close() {
      await srv.stop({ graceSeconds: 0 });
      if (!dir) await Deno.remove(dataDir, { recursive: true });
    },
  };
}

/** The self-signed certificate of a data directory. */
export function selfSignedCert(dir: string): Promise<string> {
  return Deno.readTextFile(join(dir, "tls", "cert.pem"));
}

/** Parsed JSON log lines. */
export async function logLines(path: string): Promise<Record<string, unknown>[]> {
  const text = await Deno.readTextFile(path);
  return text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
}
