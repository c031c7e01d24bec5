/**
 * `tern sieve list|put|get|activate|check|delete ACCOUNT`: an account's Sieve scripts (issue 20),
 * in the data directory's database while the server runs. Scripts are checked before they are
 * stored (core/sieve/scripts.ts, within the `[sieve]` limits), and syntax errors are reported with
 * line and column. With `--global` (and no ACCOUNT), list, put, get, check and delete manage the
 * global scripts that `include :global` finds (RFC 6609 §3.1; `GLOBAL_SCRIPTS` of the store).
 *
 * @module
 */
import type { CommandContext, CommandSpec, GroupSpec } from "./spec.ts";
import { CliError, ExitCode, NotFoundError } from "./errors.ts";
import { formatTable } from "./table.ts";
import type { Store } from "../store/store.ts";
import type { AccountId } from "../store/types.ts";
import { StoreError } from "../store/types.ts";
import { GLOBAL_SCRIPTS } from "../store/records/sieve_scripts.ts";
import { checkScript, putScript, ScriptError } from "../sieve/scripts.ts";
import { type SieveLimits, sieveLimits } from "../sieve/settings.ts";

/** The `sieve` group for `tern --help`. */
export const SIEVE_GROUP: GroupSpec = { name: "sieve", summary: "manage accounts' Sieve filter scripts" };

const DATA_DIR = {
  type: "string" as const,
  arg: "DIR",
  help: "data directory to use instead of the configuration's data_dir",
};

const GLOBAL = {
  type: "boolean" as const,
  help: "the global scripts (include :global) instead of an account's; no ACCOUNT then",
};

/**
 * The command's positionals after the owner: without `--global` the first one names the account;
 * with it there is none. `min`/`max` count the positionals after ACCOUNT.
 */
function operands(ctx: CommandContext, min: number, max: number): { address: string | null; rest: string[] } {
  const global = ctx.values.global === true;
  const rest = global ? ctx.positionals : ctx.positionals.slice(1);
  if (!global && ctx.positionals.length === 0) {
    throw new CliError("Name an account, or give --global", ExitCode.usage);
  }
  if (rest.length < min || rest.length > max) throw new CliError("Wrong number of arguments", ExitCode.usage);
  return { address: global ? null : ctx.positionals[0]!, rest };
}

/** The account named by `address`, or the global scripts' owner for null. */
async function ownerOf(store: Store, address: string | null): Promise<AccountId> {
  if (address === null) return GLOBAL_SCRIPTS;
  const account = await store.getAccountByAddress(address);
  if (!account) throw new NotFoundError(`No account "${address}"`);
  return account.id;
}

async function limitsOf(ctx: CommandContext): Promise<SieveLimits> {
  return sieveLimits((await ctx.config()).sieve);
}

/** The script text from FILE, or from standard input when FILE is absent or "-". */
async function readScript(ctx: CommandContext, file: string | undefined, max: number): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = file === undefined || file === "-" ? await ctx.io.readStdin(max) : await Deno.readFile(file);
  } catch (e) {
    throw new CliError(`Cannot read the script: ${e instanceof Error ? e.message : e}`);
  }
  if (bytes.length > max) throw new CliError(`Scripts are limited to ${max} octets`);
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
    minArgs: 0,
    maxArgs: 1,
    options: {
      json: { type: "boolean", help: "print JSON instead of a table" },
      global: GLOBAL,
      "data-dir": DATA_DIR,
    },
    examples: ["tern sieve list ada@example.org", "tern sieve list --global"],
    async run(ctx) {
      const { address } = operands(ctx, 0, 0);
      const scripts = await ctx.withDirectory(async ({ store }) =>
        await store.sieveScripts.list(await ownerOf(store, address))
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
    minArgs: 1,
    maxArgs: 3,
    options: {
      activate: { type: "boolean", help: "make it the active script" },
      global: GLOBAL,
      "data-dir": DATA_DIR,
    },
    examples: [
      "tern sieve put ada@example.org main filters.sieve --activate",
      "tern sieve put ada@example.org main < filters.sieve",
      "tern sieve put --global spam-rules spam.sieve",
    ],
    async run(ctx) {
      const { address, rest } = operands(ctx, 1, 2);
      const [name, file] = rest as [string, string | undefined];
      if (address === null && ctx.values.activate) {
        throw new CliError("Global scripts are included, never active", ExitCode.usage);
      }
      const limits = await limitsOf(ctx);
      const content = await readScript(ctx, file, limits.maxScriptBytes);
      await ctx.withDirectory(async ({ store }) => {
        const owner = await ownerOf(store, address);
        await putScript(store, owner, name, content, limits).catch(storeFailure);
        if (ctx.values.activate) await store.sieveScripts.setActive(owner, name);
      });
      ctx.io.out(`Stored script "${name}"${ctx.values.activate ? " (active)" : ""}\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ["sieve", "get"],
    summary: "print a stored Sieve script",
    args: "ACCOUNT NAME",
    minArgs: 1,
    maxArgs: 2,
    options: { global: GLOBAL, "data-dir": DATA_DIR },
    examples: ["tern sieve get ada@example.org main", "tern sieve get --global spam-rules"],
    async run(ctx) {
      const { address, rest } = operands(ctx, 1, 1);
      const name = rest[0]!;
      const script = await ctx.withDirectory(async ({ store }) =>
        await store.sieveScripts.get(await ownerOf(store, address), name)
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
        await store.sieveScripts.setActive(await ownerOf(store, address), name ?? null).catch(storeFailure);
      });
      ctx.io.out(name === undefined ? "No script is active\n" : `Script "${name}" is active\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ["sieve", "check"],
    summary: "check a stored script (the active one by default) or a file, reporting line and column",
    args: "ACCOUNT [NAME]",
    minArgs: 0,
    maxArgs: 2,
    options: {
      file: { type: "string", arg: "FILE", help: "check this file instead ('-': standard input)" },
      global: GLOBAL,
      "data-dir": DATA_DIR,
    },
    examples: [
      "tern sieve check ada@example.org",
      "tern sieve check ada@example.org --file filters.sieve",
      "tern sieve check --global spam-rules",
    ],
    async run(ctx) {
      const { address, rest } = operands(ctx, ctx.values.global === true ? 1 : 0, 1);
      const name = rest[0];
      const limits = await limitsOf(ctx);
      let content: string;
      let label: string;
      if (typeof ctx.values.file === "string") {
        content = await readScript(ctx, ctx.values.file, limits.maxScriptBytes);
        label = ctx.values.file;
      } else {
        const script = await ctx.withDirectory(async ({ store }) => {
          const owner = await ownerOf(store, address);
          return name === undefined
            ? await store.sieveScripts.active(owner)
            : await store.sieveScripts.get(owner, name);
        });
        if (!script) throw new NotFoundError(name === undefined ? "No active script" : `No script "${name}"`);
        content = script.content;
        label = script.name;
      }
      const error = checkScript(content, limits);
      if (error) throw new CliError(`${label}: ${error.message}`);
      ctx.io.out(`${label}: OK\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ["sieve", "delete"],
    summary: "delete a script (not the active one)",
    args: "ACCOUNT NAME",
    minArgs: 1,
    maxArgs: 2,
    options: { global: GLOBAL, "data-dir": DATA_DIR },
    examples: ["tern sieve delete ada@example.org old", "tern sieve delete --global spam-rules"],
    async run(ctx) {
      const { address, rest } = operands(ctx, 1, 1);
      const name = rest[0]!;
      await ctx.withDirectory(async ({ store }) => {
        await store.sieveScripts.delete(await ownerOf(store, address), name).catch(storeFailure);
      });
      ctx.io.out(`Deleted script "${name}"\n`);
      return ExitCode.ok;
    },
  },
];
