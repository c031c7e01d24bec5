/**
 * `tern ban list` and `tern ban clear`: the authentication-failure ban list, read and cleared in the
 * data directory's database while the server runs (the server re-checks the database before
 * refusing a banned address, so a clear takes effect at once).
 *
 * @module
 */
import type { CommandContext, CommandSpec, GroupSpec } from "./spec.ts";
import { CliError, ExitCode } from "./errors.ts";
import { formatTable } from "./table.ts";

/** The `ban` group for `tern --help`. */
export const BAN_GROUP: GroupSpec = { name: "ban", summary: "list and clear authentication-failure bans" };

const DATA_DIR = {
  type: "string" as const,
  arg: "DIR",
  help: "data directory to use instead of the configuration's data_dir",
};

/** `tern ban list|clear`. */
export const BAN_COMMANDS: CommandSpec[] = [
  {
    path: ["ban", "list"],
    summary: "list addresses banned after repeated authentication failures",
    args: "",
    minArgs: 0,
    maxArgs: 0,
    options: { json: { type: "boolean", help: "print JSON instead of a table" }, "data-dir": DATA_DIR },
    examples: ["tern ban list", "tern ban list --json"],
    async run(ctx: CommandContext) {
      const bans = await ctx.withDirectory(({ store }) => store.bans.list(new Date()));
      if (ctx.values.json) ctx.io.out(JSON.stringify(bans, null, 2) + "\n");
      else {
        ctx.io.out(formatTable(
          ["ADDRESS", "UNTIL", "REASON"],
          bans.map((b) => [b.address, b.until.toISOString(), b.reason]),
        ));
      }
      return ExitCode.ok;
    },
  },
  {
    path: ["ban", "clear"],
    summary: "lift the ban of an address (IPv4, or an IPv6 /64 as listed), or of all with --all",
    args: "[ADDRESS]",
    minArgs: 0,
    maxArgs: 1,
    options: { all: { type: "boolean", help: "clear every ban" }, "data-dir": DATA_DIR },
    examples: ["tern ban clear 192.0.2.7", "tern ban clear --all"],
    async run(ctx: CommandContext) {
      const address = ctx.positionals[0];
      if ((address === undefined) === !ctx.values.all) {
        throw new CliError("Name one ADDRESS or give --all", ExitCode.usage);
      }
      const cleared = await ctx.withDirectory(({ store }) => store.bans.clear(address));
      if (address !== undefined && !cleared) throw new CliError(`No ban for "${address}"`);
      ctx.io.out(address === undefined ? "Cleared all bans\n" : `Cleared the ban of ${address}\n`);
      return ExitCode.ok;
    },
  },
];
