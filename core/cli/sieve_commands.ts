/**
 * `tern sieve list|put|get|activate|check|delete ACCOUNT`: an account's Sieve scripts (issue 20),
 * in the data directory's database while the server runs. Scripts are checked before they are
 * stored (core/sieve/scripts.ts), and syntax errors are reported with line and column.
 *
 * @module
 */
import type { CommandContext, CommandSpec, GroupSpec } from "./spec.ts";
import { CliError, ExitCode, NotFoundError } from "./errors.ts";
import { formatTable } from "./table.ts";
import type { Store } from "../store/store.ts";
import type { Account } from "../store/types.ts";
import { StoreError } from "../store/types.ts";
import { checkScript, MAX_SCRIPT_BYTES, putScript, ScriptError } from "../sieve/scripts.ts";

/** The `sieve` group for `tern --help`. */
export const SIEVE_GROUP: GroupSpec = { name: "sieve", summary: "manage accounts' Sieve filter scripts" };

const DATA_DIR = {
  type: "string" as const,
  arg: "DIR",
  help: "data directory to use instead of the configuration's data_dir",
};

async function accountOf(store: Store, address: string): Promise<Account> {
  const account = await store.getAccountByAddress(address);
  if (!account) throw new NotFoundError(`No account "${address}"`);
  return account;
}

/** The script text from FILE, or from standard input when FILE is absent or "-". */
async function readScript(ctx: CommandContext, file: string | undefined): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = file === undefined || file === "-"
      ? await ctx.io.readStdin(MAX_SCRIPT_BYTES)
      : await Deno.readFile(file);
  } catch (e) {
    throw new CliError(`Cannot read the script: ${e instanceof Error ? e.message : e}`);
  }
  if (bytes.length > MAX_SCRIPT_BYTES) {
    throw new CliError(`Scripts are limited to ${MAX_SCRIPT_BYTES} octets`);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new CliError("The script is not UTF-8");
  }
}

function storeFailure(e: unknown): never {
  if (e instanceof ScriptError) throw new CliError(e.message);
  if (e instanceof StoreError && e.code === "notFound") throw new NotFoundError(e.message);
  if (e instanceof StoreError) throw new CliError(e.message);
  throw e;
}

/** `tern sieve …`. */
export const SIEVE_COMMANDS: CommandSpec[] = [
  {
    path: ["sieve", "list"],
    summary: "list an account's Sieve scripts and which one is active",
    args: "ACCOUNT",
    minArgs: 1,
    maxArgs: 1,
    options: { json: { type: "boolean", help: "print JSON instead of a table" }, "data-dir": DATA_DIR },
    examples: ["tern sieve list ada@example.org"],
    async run(ctx) {
      const scripts = await ctx.withDirectory(async ({ store }) =>
        await store.sieveScripts.list((await accountOf(store, ctx.positionals[0]!)).id)
      );
      if (ctx.values.json) ctx.io.out(JSON.stringify(scripts, null, 2) + "\n");
      else {
        ctx.io.out(formatTable(
          ["NAME", "ACTIVE", "SIZE", "UPDATED"],
          scripts.map((s) => [s.name, s.isActive ? "yes" : "", String(s.size), s.updatedAt.toISOString()]),
        ));
      }
      return ExitCode.ok;
    },
  },
  {
    path: ["sieve", "put"],
    summary: "store a Sieve script (checked first) from FILE or standard input",
    args: "ACCOUNT NAME [FILE]",
    minArgs: 2,
    maxArgs: 3,
    options: { activate: { type: "boolean", help: "make it the active script" }, "data-dir": DATA_DIR },
    examples: [
      "tern sieve put ada@example.org main filters.sieve --activate",
      "tern sieve put ada@example.org main < filters.sieve",
    ],
    async run(ctx) {
      const [address, name, file] = ctx.positionals as [string, string, string | undefined];
      const content = await readScript(ctx, file);
      await ctx.withDirectory(async ({ store }) => {
        const account = await accountOf(store, address);
        await putScript(store, account.id, name, content).catch(storeFailure);
        if (ctx.values.activate) await store.sieveScripts.setActive(account.id, name);
      });
      ctx.io.out(`Stored script "${name}"${ctx.values.activate ? " (active)" : ""}\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ["sieve", "get"],
    summary: "print a stored Sieve script",
    args: "ACCOUNT NAME",
    minArgs: 2,
    maxArgs: 2,
    options: { "data-dir": DATA_DIR },
    examples: ["tern sieve get ada@example.org main"],
    async run(ctx) {
      const [address, name] = ctx.positionals as [string, string];
      const script = await ctx.withDirectory(async ({ store }) =>
        await store.sieveScripts.get((await accountOf(store, address)).id, name)
      );
      if (!script) throw new NotFoundError(`No script "${name}"`);
      ctx.io.out(script.content);
      return ExitCode.ok;
    },
  },
  {
    path: ["sieve", "activate"],
    summary: "make a script the account's active one (or none with --none)",
    args: "ACCOUNT [NAME]",
    minArgs: 1,
    maxArgs: 2,
    options: { none: { type: "boolean", help: "deactivate every script" }, "data-dir": DATA_DIR },
    examples: ["tern sieve activate ada@example.org main", "tern sieve activate ada@example.org --none"],
    async run(ctx) {
      const [address, name] = ctx.positionals as [string, string | undefined];
      if ((name === undefined) === !ctx.values.none) {
        throw new CliError("Name one script or give --none", ExitCode.usage);
      }
      await ctx.withDirectory(async ({ store }) => {
        const account = await accountOf(store, address);
        await store.sieveScripts.setActive(account.id, name ?? null).catch(storeFailure);
      });
      ctx.io.out(name === undefined ? "No script is active\n" : `Script "${name}" is active\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ["sieve", "check"],
    summary: "check a stored script (the active one by default) or a file, reporting line and column",
    args: "ACCOUNT [NAME]",
    minArgs: 1,
    maxArgs: 2,
    options: {
      file: { type: "string", arg: "FILE", help: "check this file instead ('-': standard input)" },
      "data-dir": DATA_DIR,
    },
    examples: ["tern sieve check ada@example.org", "tern sieve check ada@example.org --file filters.sieve"],
    async run(ctx) {
      const [address, name] = ctx.positionals as [string, string | undefined];
      let content: string;
      let label: string;
      if (typeof ctx.values.file === "string") {
        content = await readScript(ctx, ctx.values.file);
        label = ctx.values.file;
      } else {
        const script = await ctx.withDirectory(async ({ store }) => {
          const account = await accountOf(store, address);
          return name === undefined
            ? await store.sieveScripts.active(account.id)
            : await store.sieveScripts.get(account.id, name);
        });
        if (!script) throw new NotFoundError(name === undefined ? "No active script" : `No script "${name}"`);
        content = script.content;
        label = script.name;
      }
      const error = checkScript(content);
      if (error) throw new CliError(`${label}: ${error.message}`);
      ctx.io.out(`${label}: OK\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ["sieve", "delete"],
    summary: "delete a script (not the active one)",
    args: "ACCOUNT NAME",
    minArgs: 2,
    maxArgs: 2,
    options: { "data-dir": DATA_DIR },
    examples: ["tern sieve delete ada@example.org old"],
    async run(ctx) {
      const [address, name] = ctx.positionals as [string, string];
      await ctx.withDirectory(async ({ store }) => {
        const account = await accountOf(store, address);
        await store.sieveScripts.delete(account.id, name).catch(storeFailure);
      });
      ctx.io.out(`Deleted script "${name}"\n`);
      return ExitCode.ok;
    },
  },
];
