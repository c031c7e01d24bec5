/**
 * The `tern` command line: finds the command in the table, parses its options with node:util
 * parseArgs, prints help, maps errors to exit codes (0 ok, 1 failure, 2 usage or configuration).
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { Config } from "../config/types.ts";
import { loadConfig } from "../config/load.ts";
import { ConfigError } from "../config/errors.ts";
import { StoreError } from "../store/types.ts";
import type { CliIo } from "./io.ts";
import { CliError, ExitCode, UsageError } from "./errors.ts";
import { COMMANDS, COMMON_OPTIONS, GROUPS } from "./commands.ts";
import { commandHelp, groupHelp, mainHelp } from "./help.ts";
import type { CommandContext, CommandSpec, Directory } from "./spec.ts";

/** What main.ts supplies: the version and the parts that live outside core/. */
export interface CliOptions {
  version: string;
  /** Runs the server until it stops; returns the exit code. `configPath` is re-read on SIGHUP. */
  serve?: (config: Config, io: CliIo, configPath: string | undefined) => Promise<number>;
  /** Opens the store and hasher (overridable in tests). */
  openDirectory?: (config: Config) => Promise<Directory>;
}

function findCommand(args: string[]): { cmd?: CommandSpec; group?: string; rest: string[] } {
  const [first, second] = args;
  const top = COMMANDS.find((c) => c.path.length === 1 && c.path[0] === first);
  if (top) return { cmd: top, rest: args.slice(1) };
  const group = GROUPS.find((g) => g.name === first);
  if (!group) return { rest: args };
  const cmd = COMMANDS.find((c) => c.path[0] === first && c.path[1] === second);
  return cmd ? { cmd, group: group.name, rest: args.slice(2) } : { group: group.name, rest: args.slice(1) };
}

function parseCommandArgs(cmd: CommandSpec, rest: string[]) {
  const options = { ...cmd.options, ...COMMON_OPTIONS };
  try {
    return parseArgs({
      args: rest,
      options: Object.fromEntries(
        Object.entries(options).map((
          [k, o],
        ) => [k, o.short ? { type: o.type, short: o.short } : { type: o.type }]),
      ),
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message.replace(/\. To specify a positional.*$/s, "")}`);
  }
}

function describeError(e: unknown): { message: string; code: number } {
  if (e instanceof ConfigError) return { message: e.message, code: ExitCode.usage };
  if (e instanceof CliError) return { message: e.message, code: e.exitCode };
  if (e instanceof StoreError) return { message: e.message, code: ExitCode.failure };
  if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
    return { message: `Permission denied: ${(e as Error).message}`, code: ExitCode.failure };
  }
  return { message: e instanceof Error ? e.message : String(e), code: ExitCode.failure };
}

/**
 * Runs `tern` with `args` (Deno.args) and returns the exit code. Never throws: errors are printed
 * to standard error as `tern: <message>`.
 */
export async function runCli(args: string[], io: CliIo, opts: CliOptions): Promise<number> {
  const usage = (message: string, hint: string) => {
    io.err(`tern: ${message}\n${hint}\n`);
    return ExitCode.usage;
  };
  const first = args[0];
  if (first === undefined) {
    io.err(mainHelp(COMMANDS, GROUPS, opts.version));
    return ExitCode.usage;
  }
  if (first === "--version" || first === "-V" || first === "version") {
    io.out(`tern ${opts.version}\n`);
    return ExitCode.ok;
  }
  if (first === "--help" || first === "-h" || first === "help") {
    const sub = args.slice(1);
    if (sub.length === 0) {
      io.out(mainHelp(COMMANDS, GROUPS, opts.version));
      return ExitCode.ok;
    }
    return runCli([...sub, "--help"], io, opts);
  }

  const { cmd, group, rest } = findCommand(args);
  if (!cmd) {
    const g = GROUPS.find((x) => x.name === group);
    if (g) {
      const wantsHelp = rest.length === 0 || rest[0] === "--help" || rest[0] === "-h";
      if (wantsHelp && rest.length > 0) {
        io.out(groupHelp(g, COMMANDS));
        return ExitCode.ok;
      }
      if (rest.length === 0) {
        io.err(groupHelp(g, COMMANDS));
        return ExitCode.usage;
      }
      return usage(
        `unknown command "${group} ${rest[0]}"`,
        `Run "tern ${group} --help" for the list of commands.`,
      );
    }
    return usage(`unknown command "${first}"`, 'Run "tern --help" for the list of commands.');
  }
  const name = cmd.path.join(" ");
  const hint = `Run "tern ${name} --help" for usage.`;

  let parsed;
  try {
    parsed = parseCommandArgs(cmd, rest);
  } catch (e) {
    return usage((e as Error).message, hint);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) {
    io.out(commandHelp(cmd, COMMON_OPTIONS));
    return ExitCode.ok;
  }
  const n = parsed.positionals.length;
  if (n < cmd.minArgs) return usage(`missing argument: ${cmd.args}`, hint);
  if (n > cmd.maxArgs) return usage(`unexpected argument "${parsed.positionals[cmd.maxArgs]}"`, hint);

  const configPath = (values.config as string | undefined) ?? io.env("TERN_CONFIG");
  let config: Config | undefined;
  const loadOnce = async () => {
    config ??= await loadConfig(configPath);
    const dataDir = values["data-dir"];
    if (typeof dataDir === "string") config.data_dir = dataDir;
    return config;
  };
  const ctx: CommandContext = {
    io,
    values,
    positionals: parsed.positionals,
    config: loadOnce,
    async withDirectory(fn) {
      const open = opts.openDirectory ?? (await import("./services.ts")).openDirectory;
      const dir = await open(await loadOnce());
      try {
        return await fn(dir);
      } finally {
        await dir.store.close();
      }
    },
  };

  try {
    if (cmd.path[0] === "serve") {
      if (!opts.serve) throw new CliError("This build of tern cannot serve");
      return await opts.serve(await loadOnce(), io, configPath);
    }
    return await cmd.run(ctx);
  } catch (e) {
    const { message, code } = describeError(e);
    io.err(`tern: ${message}\n`);
    if (code === ExitCode.usage && !(e instanceof ConfigError)) io.err(`${hint}\n`);
    return code;
  }
}
