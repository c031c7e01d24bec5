/**
 * Reads tern.toml: TOML parsing (smol-toml), schema validation with file + line + key path in every
 * error, defaults for missing keys, and relative paths resolved against the file's directory.
 *
 * @module
 */
import { parse, TomlError } from "smol-toml";
import { dirname, isAbsolute, join } from "node:path";
import type { Config } from "./types.ts";
import { defaultConfig, LISTENER_NAMES } from "./defaults.ts";
import { ConfigError, type ConfigIssue } from "./errors.ts";
import { locateKeys } from "./locate.ts";
import { toConfigIssue, validateConfig } from "./schema.ts";

/** Largest configuration file read (a config file is a few kilobytes). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

function resolveAgainst(baseDir: string, p: string | undefined): string | undefined {
  if (p === undefined || isAbsolute(p)) return p;
  return join(baseDir, p);
}

/** Makes data_dir, certificate paths and a log file path relative to `baseDir` (in place). */
export function resolvePaths(config: Config, baseDir: string): Config {
  config.data_dir = resolveAgainst(baseDir, config.data_dir) ?? config.data_dir;
  const fixPair = (t: { cert?: string; key?: string }) => {
    if (t.cert !== undefined) t.cert = resolveAgainst(baseDir, t.cert);
    if (t.key !== undefined) t.key = resolveAgainst(baseDir, t.key);
  };
  fixPair(config.tls);
  for (const name of LISTENER_NAMES) fixPair(config.listeners[name]);
  if (config.acme.ca_file !== undefined) config.acme.ca_file = resolveAgainst(baseDir, config.acme.ca_file);
  if (config.jmap.client_ca !== undefined) {
    config.jmap.client_ca = resolveAgainst(baseDir, config.jmap.client_ca);
  }
  if (config.log.output !== "stderr" && config.log.output !== "stdout") {
    config.log.output = resolveAgainst(baseDir, config.log.output) ?? config.log.output;
  }
  return config;
}

/**
 * Parses and validates TOML text. `file` names the source in error messages; relative paths are
 * resolved against `baseDir` (default: the directory of `file`). Throws `ConfigError`.
 *
 * @example
 * ```ts
 * import { parseConfig } from "./load.ts";
 * const config = parseConfig("hostname = \"mail.example.com\"\n[listeners.smtp]\nport = 25\n", "tern.toml");
 * console.log(config.listeners.smtp.port); // 25
 * ```
 */
export function parseConfig(text: string, file: string, baseDir: string = dirname(file)): Config {
  let raw: Record<string, unknown>;
  try {
    raw = parse(text) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof TomlError) {
      const first = e.message.split("\n")[0] ?? "invalid TOML";
      const issue: ConfigIssue = {
        keyPath: "",
        line: e.line,
        column: e.column,
        message: `TOML syntax error: ${first.replace(/^Invalid TOML document: /, "")}`,
      };
      throw new ConfigError(file, [issue], { cause: e });
    }
    throw e;
  }
  const { config, issues } = validateConfig(raw, defaultConfig());
  if (issues.length > 0) {
    const locator = locateKeys(text);
    throw new ConfigError(file, issues.map((i) => toConfigIssue(i, locator.lineOf(i.path, i.value))));
  }
  return resolvePaths(config, baseDir);
}

/**
 * Loads the configuration from `path`, or the defaults when no path is given. Throws `ConfigError`
 * for an unreadable or invalid file.
 */
export async function loadConfig(path?: string): Promise<Config> {
  if (path === undefined) return defaultConfig();
  let text: string;
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) throw new ConfigError(path, [{ keyPath: "", message: "not a regular file" }]);
    if (info.size > MAX_CONFIG_BYTES) {
      throw new ConfigError(path, [{ keyPath: "", message: `file larger than ${MAX_CONFIG_BYTES} bytes` }]);
    }
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const reason = e instanceof Deno.errors.NotFound
      ? "file not found"
      : `cannot read file: ${(e as Error).message}`;
    throw new ConfigError(path, [{ keyPath: "", message: reason }], { cause: e });
  }
  return parseConfig(text, path);
}
