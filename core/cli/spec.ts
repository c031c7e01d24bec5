/**
 * The shape of a CLI command in the command table: its name, help text, options and handler.
 *
 * @module
 */
import type { Config } from "../config/types.ts";
import type { Store } from "../store/store.ts";
import type { CliIo } from "./io.ts";
import type { PasswordHasher } from "./directory_ops.ts";

/** One command-line option (node:util parseArgs style plus help text). */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  /** Placeholder for the value in help, e.g. "FILE". */
  arg?: string;
  help: string;
}

/** The store and password hasher opened for a command, closed by the runner. */
export interface Directory {
  store: Store;
  hasher: PasswordHasher;
}

/** What a command handler is given. */
export interface CommandContext {
  io: CliIo;
  /** Parsed option values. */
  values: Record<string, string | boolean | undefined>;
  /** Positional arguments after the command name. */
  positionals: string[];
  /** Loads the configuration named by --config or $TERN_CONFIG (defaults otherwise). */
  config(): Promise<Config>;
  /** Opens the store of the configured data directory, runs `fn`, closes it. */
  withDirectory<T>(fn: (dir: Directory) => Promise<T>): Promise<T>;
}

/** A leaf command: `tern user add`. */
export interface CommandSpec {
  /** Words after `tern`, e.g. ["user", "add"]. */
  path: string[];
  summary: string;
  /** Positional arguments in the usage line, e.g. "ADDRESS TARGET...". */
  args: string;
  /** Minimum and maximum positional arguments (max Infinity for a list). */
  minArgs: number;
  maxArgs: number;
  options: Record<string, OptionSpec>;
  /** Longer explanation shown in --help. */
  description?: string;
  examples: string[];
  /** Runs the command and returns the exit code; throws CliError for failures. */
  run(ctx: CommandContext): Promise<number>;
}

/** A group of commands: `tern user …`. */
export interface GroupSpec {
  name: string;
  summary: string;
}
