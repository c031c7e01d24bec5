/**
 * `tern queue list|show ID|retry ID|delete ID|flush|stats` and `tern domain dkim DOMAIN`: command specs
 * for the CLI table (core/cli/commands.ts: spread `QUEUE_COMMANDS` into COMMANDS and add
 * `QUEUE_GROUP` to GROUPS), and `runQueueCommand` for running them on their own.
 *
 * @module
 */
import { parseArgs } from "node:util";
import type { CliIo } from "./io.ts";
import type { CommandContext, CommandSpec, Directory, GroupSpec, OptionSpec } from "./spec.ts";
import { CliError, ExitCode } from "./errors.ts";
import { formatTable } from "./table.ts";
import { loadConfig } from "../config/load.ts";
import type { Config } from "../config/types.ts";
import {
  defaultDkimSelector,
  type DkimAlgorithm,
  dkimRecordName,
  dkimRecordValue,
  dkimZoneLine,
  generateDkimKey,
} from "../dkim/keys.ts";
import { QueueOperations } from "../queue/operations.ts";
import { queueSettings } from "../queue/settings.ts";

const DATA_DIR: OptionSpec = {
  type: "string",
  arg: "DIR",
  help: "data directory to use instead of the configuration's data_dir",
};
const JSON_OUT: OptionSpec = { type: "boolean", help: "print JSON instead of a table" };
const CONFIG: OptionSpec = { type: "string", short: "c", arg: "FILE", help: "configuration file" };

/** The `queue` command group. */
export const QUEUE_GROUP: GroupSpec = { name: "queue", summary: "inspect and manage the outbound queue" };

function ops(dir: Directory): QueueOperations {
  return new QueueOperations(dir.store);
}

function id(ctx: CommandContext): string {
  return ctx.positionals[0] ?? "";
}

function iso(d: Date | null): string {
  return d ? d.toISOString() : "-";
}

/** The queue commands and `domain dkim`. */
export const QUEUE_COMMANDS: CommandSpec[] = [
  {
    path: ["queue", "list"],
    summary: "list queued messages",
    args: "",
    minArgs: 0,
    maxArgs: 0,
    options: { json: JSON_OUT, "data-dir": DATA_DIR },
    examples: ["tern queue list"],
    async run(ctx) {
      const rows = await ctx.withDirectory((dir) => ops(dir).list());
      if (ctx.values.json) ctx.io.out(JSON.stringify(rows, null, 2) + "\n");
      else {
        ctx.io.out(formatTable(
          ["ID", "FROM", "SIZE", "RCPTS", "PENDING", "NEXT ATTEMPT", "LAST REPLY"],
          rows.map((r) => [
            r.id,
            r.from ?? "<>",
            String(r.size),
            String(r.recipients),
            String(r.pending),
            iso(r.nextAttemptAt),
            (r.lastReply ?? "").slice(0, 60),
          ]),
        ));
      }
      return ExitCode.ok;
    },
  },
  {
    path: ["queue", "show"],
    summary: "show a queued message: envelope, recipients, attempts",
    args: "ID",
    minArgs: 1,
    maxArgs: 1,
    options: { json: JSON_OUT, "data-dir": DATA_DIR },
    examples: ["tern queue show 6f1c…"],
    async run(ctx) {
      const e = await ctx.withDirectory((dir) => ops(dir).show(id(ctx)));
      if (!e) throw new CliError(`No such queued message: "${id(ctx)}"`);
      if (ctx.values.json) {
        ctx.io.out(JSON.stringify(e, null, 2) + "\n");
        return ExitCode.ok;
      }
      const m = e.message;
      ctx.io.out(
        `ID:       ${m.id}\nFrom:     <${m.from ?? ""}>\nSize:     ${m.size}\nCreated:  ${
          iso(m.createdAt)
        }\n` +
          `Expires:  ${iso(m.expiresAt)}\nRET:      ${m.ret ?? "-"}\nENVID:    ${m.envid ?? "-"}\n\n`,
      );
      ctx.io.out(formatTable(
        ["RCPT", "STATUS", "ATTEMPTS", "NEXT ATTEMPT", "LAST REPLY"],
        e.recipients.map((r) => [
          r.address,
          r.status,
          String(r.attempts),
          r.status === "queued" || r.status === "deferred" ? iso(r.nextAttemptAt) : "-",
          r.lastReply ?? "",
        ]),
      ));
      if (e.attempts.length > 0) {
        ctx.io.out(
          "\n" + formatTable(
            ["AT", "HOST", "OUTCOME", "MS", "REPLY"],
            e.attempts.map((a) => [iso(a.at), a.host ?? "-", a.outcome, String(a.latencyMs), a.reply]),
          ),
        );
      }
      return ExitCode.ok;
    },
  },
  {
    path: ["queue", "retry"],
    summary: "retry a queued message now",
    args: "ID",
    minArgs: 1,
    maxArgs: 1,
    options: { "data-dir": DATA_DIR },
    examples: ["tern queue retry 6f1c…"],
    async run(ctx) {
      const ok = await ctx.withDirectory(async (dir) =>
        await Promise.resolve(ops(dir).retry(id(ctx), new Date()))
      );
      if (!ok) throw new CliError(`No such queued message: "${id(ctx)}"`);
      ctx.io.out(`Message ${id(ctx)} will be retried now\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ["queue", "delete"],
    summary: "delete a queued message (no bounce is sent)",
    args: "ID",
    minArgs: 1,
    maxArgs: 1,
    options: { "data-dir": DATA_DIR },
    examples: ["tern queue delete 6f1c…"],
    async run(ctx) {
      const ok = await ctx.withDirectory((dir) => ops(dir).delete(id(ctx)));
      if (!ok) throw new CliError(`No such queued message: "${id(ctx)}"`);
      ctx.io.out(`Deleted message ${id(ctx)}\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ["queue", "stats"],
    summary: "queue statistics: messages, recipients by state, bytes, oldest entry, attempts",
    args: "",
    minArgs: 0,
    maxArgs: 0,
    options: { json: JSON_OUT, "data-dir": DATA_DIR },
    examples: ["tern queue stats", "tern queue stats --json"],
    async run(ctx) {
      const s = await ctx.withDirectory((dir) => ops(dir).stats());
      if (ctx.values.json) {
        ctx.io.out(JSON.stringify(s, null, 2) + "\n");
        return ExitCode.ok;
      }
      const r = s.recipients;
      ctx.io.out(
        `Messages:      ${s.messages}\nBytes:         ${s.bytes}\n` +
          `Recipients:    ${r.queued} queued, ${r.deferred} deferred, ${r.delivered} delivered, ${r.failed} failed\n` +
          `Attempts:      ${s.attempts}\nOldest:        ${iso(s.oldest)}\nNext attempt:  ${
            iso(s.nextAttemptAt)
          }\n`,
      );
      return ExitCode.ok;
    },
  },
  {
    path: ["queue", "flush"],
    summary: "retry every queued message now",
    args: "",
    minArgs: 0,
    maxArgs: 0,
    options: { "data-dir": DATA_DIR },
    examples: ["tern queue flush"],
    async run(ctx) {
      const n = await ctx.withDirectory((dir) => ops(dir).flush(new Date()));
      ctx.io.out(`${n} recipient(s) will be retried now\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ["domain", "dkim"],
    summary: "create a DKIM key for a domain and print the DNS TXT record",
    args: "DOMAIN",
    minArgs: 1,
    maxArgs: 1,
    options: {
      algorithm: { type: "string", arg: "ALG", help: "rsa-sha256 (default) or ed25519-sha256" },
      selector: {
        type: "string",
        arg: "NAME",
        help: 'selector (default: queue.dkim_selector, "tern", with "-ed25519" appended for Ed25519 keys)',
      },
      "data-dir": DATA_DIR,
    },
    description: "Replaces the domain's key of the same algorithm if it has one. Every outbound message " +
      "from the domain is signed with each of its keys (an RSA and an Ed25519 key can be used together).",
    examples: ["tern domain dkim example.com", "tern domain dkim example.com --algorithm ed25519-sha256"],
    async run(ctx) {
      const alg = (ctx.values.algorithm as string | undefined) ?? "rsa-sha256";
      if (alg !== "rsa-sha256" && alg !== "ed25519-sha256") {
        throw new CliError(`Unknown algorithm "${alg}" (rsa-sha256 or ed25519-sha256)`, ExitCode.usage);
      }
      const domain = id(ctx).toLowerCase().replace(/\.$/, "");
      if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(domain)) {
        throw new CliError(`Invalid domain "${id(ctx)}"`, ExitCode.usage);
      }
      const config = await ctx.config();
      const selector = (ctx.values.selector as string | undefined) ??
        defaultDkimSelector(queueSettings(config).dkim_selector, alg as DkimAlgorithm);
      const key = generateDkimKey(alg as DkimAlgorithm);
      await ctx.withDirectory((dir) => dir.store.dkimKeys.put({ ...key, domain, selector }, new Date()));
      const value = dkimRecordValue(key);
      ctx.io.out(
        `Created ${
          alg === "rsa-sha256" ? "an RSA" : "an Ed25519"
        } (${alg}) DKIM key for ${domain} (selector ${selector}). Publish this TXT record:\n\n` +
          `${dkimRecordName(selector, domain)}  TXT  "${value}"\n\nZone file form:\n${
            dkimZoneLine(selector, domain, value)
          }\n`,
      );
      return ExitCode.ok;
    },
  },
];

/** What `runQueueCommand` needs from its caller. */
export interface QueueCommandOptions {
  io: CliIo;
  /** Loads the configuration (default: --config, else $TERN_CONFIG, else defaults). */
  loadConfig?: (path: string | undefined) => Promise<Config>;
  /** Opens the store (default: core/cli/services.ts openDirectory). */
  openDirectory?: (config: Config) => Promise<Directory>;
}

/**
 * Runs `queue list|show|retry|delete|flush …` or `domain dkim DOMAIN` (args without "tern") and
 * returns the exit code. Never throws.
 */
export async function runQueueCommand(args: string[], opts: QueueCommandOptions): Promise<number> {
  const cmd = QUEUE_COMMANDS.find((c) => c.path[0] === args[0] && c.path[1] === args[1]);
  if (!cmd) {
    opts.io.err(`tern: unknown command "${args.slice(0, 2).join(" ")}"\n`);
    return ExitCode.usage;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: args.slice(2),
      options: Object.fromEntries(
        Object.entries({ ...cmd.options, config: CONFIG }).map(([k, o]) => [
          k,
          o.short ? { type: o.type, short: o.short } : { type: o.type },
        ]),
      ),
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    opts.io.err(`tern: ${(e as Error).message}\n`);
    return ExitCode.usage;
  }
  const n = parsed.positionals.length;
  if (n < cmd.minArgs || n > cmd.maxArgs) {
    opts.io.err(`tern: usage: tern ${cmd.path.join(" ")} ${cmd.args}\n`);
    return ExitCode.usage;
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  let config: Config | undefined;
  const load = async () => {
    config ??= await (opts.loadConfig ?? loadConfig)(
      (values.config as string | undefined) ?? opts.io.env("TERN_CONFIG"),
    );
    if (typeof values["data-dir"] === "string") config.data_dir = values["data-dir"];
    return config;
  };
  const ctx: CommandContext = {
    io: opts.io,
    values,
    positionals: parsed.positionals,
    config: load,
    async withDirectory(fn) {
      const open = opts.openDirectory ?? (await import("./services.ts")).openDirectory;
      const dir = await open(await load());
      try {
        return await fn(dir);
      } finally {
        await dir.store.close();
      }
    },
  };
  try {
    return await cmd.run(ctx);
  } catch (e) {
    opts.io.err(`tern: ${e instanceof Error ? e.message : String(e)}\n`);
    return e instanceof CliError ? e.exitCode : ExitCode.failure;
  }
}
