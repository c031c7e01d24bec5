/**
 * The command table of `tern`: every leaf command with its options, help and handler. Handlers
 * parse nothing themselves (run.ts does) and call the operations in directory_ops.ts.
 *
 * @module
 */
import { CliError, ExitCode, UsageError } from "./errors.ts";
import type { CommandContext, CommandSpec, GroupSpec, OptionSpec } from "./spec.ts";
import { readNewPassword } from "./password.ts";
import {
  addAlias,
  addDomain,
  addUser,
  deleteAlias,
  deleteDomain,
  deleteUser,
  formatSize,
  listAliases,
  listDomains,
  listUsers,
  normalizeAddress,
  parseSize,
  setPassword,
  showUser,
  updateUser,
} from "./directory_ops.ts";
import { stringify as stringifyToml } from "smol-toml";
import type { Config } from "../config/types.ts";
import { formatTable } from "./table.ts";
import { createToken, listTokens, revokeToken } from "../jmap/tokens.ts";
import { auditCli } from "../audit/cli_audit.ts";
import { isTokenScope, TOKEN_SCOPES, type TokenScope } from "../jmap/tokens.ts";

/** `--scope` of `tern token create` (default `account`). */
function tokenScope(value: string | undefined): TokenScope {
  if (value === undefined) return "account";
  if (!isTokenScope(value)) {
    throw new UsageError(`Invalid scope "${value}": expected one of ${TOKEN_SCOPES.join(", ")}`);
  }
  return value;
}
import { QUEUE_COMMANDS, QUEUE_GROUP } from "./queue_commands.ts";
import { BAN_COMMANDS, BAN_GROUP } from "./ban_commands.ts";
import { DMARC_COMMANDS, DMARC_GROUP } from "./dmarc_commands.ts";
import { SIEVE_COMMANDS, SIEVE_GROUP } from "./sieve_commands.ts";
import { SHARE_COMMANDS, SHARE_GROUP } from "./share_commands.ts";
import { DNS_GROUP, SETUP_COMMANDS } from "./setup_commands.ts";
import { TRANSFER_COMMANDS, TRANSFER_GROUPS } from "./transfer_commands.ts";
import { TENANCY_COMMANDS, TENANCY_GROUPS } from "./tenancy_commands.ts";
import { API_COMMANDS, API_GROUPS } from "./api_commands.ts";
import { WEBHOOK_COMMANDS, WEBHOOK_GROUP } from "./webhook_commands.ts";

/** The JMAP token helpers report an unknown account as a TypeError. */
function unknownAccountAsFailure(e: unknown): never {
  if (e instanceof TypeError) throw new CliError(e.message);
  throw e;
}

const SECRET_KEYS = new Set(["password", "hmac_secret"]);

/** A deep copy of `config` with secret values replaced, for printing. */
export function redactSecrets(config: Config): Config {
  const copy: Config = JSON.parse(
    JSON.stringify(
      config,
      (key, value) => (SECRET_KEYS.has(key) && typeof value === "string" ? "[redacted]" : value),
    ),
  );
  // The PostgreSQL URL's password (`[store] url`).
  if (copy.store?.url) copy.store.url = redactUrlPassword(copy.store.url);
  return copy;
}

/** A URL with its password (if any) replaced by "redacted". */
function redactUrlPassword(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = "redacted";
    return u.toString();
  } catch {
    return "[redacted]";
  }
}

/** Options every command accepts. */
export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  config: {
    type: "string",
    short: "c",
    arg: "FILE",
    help: "configuration file (default: $TERN_CONFIG, else the built-in defaults)",
  },
  help: { type: "boolean", short: "h", help: "show this help" },
};

const DATA_DIR: OptionSpec = {
  type: "string",
  arg: "DIR",
  help: "data directory to use instead of the configuration's data_dir",
};
const JSON_OUT: OptionSpec = { type: "boolean", help: "print JSON instead of a table" };
const PASSWORD_STDIN: OptionSpec = {
  type: "boolean",
  help: "read the password from standard input instead of prompting",
};

/** The command groups shown in `tern --help`. */
export const GROUPS: GroupSpec[] = [
  { name: "user", summary: "manage accounts (add, list, show, set, passwd, delete)" },
  { name: "domain", summary: "manage local domains (add, list, delete, dkim)" },
  { name: "alias", summary: "manage aliases (add, list, delete)" },
  { name: "token", summary: "manage JMAP API tokens (create, list, revoke)" },
  QUEUE_GROUP,
  BAN_GROUP,
  DMARC_GROUP,
  SIEVE_GROUP,
  SHARE_GROUP,
  DNS_GROUP,
  ...TRANSFER_GROUPS,
  ...TENANCY_GROUPS,
  ...API_GROUPS,
  WEBHOOK_GROUP,
  { name: "config", summary: "check a configuration file, show the effective configuration" },
];

function str(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.values[name];
  return typeof v === "string" ? v : undefined;
}

function arg(ctx: CommandContext, i: number): string {
  return ctx.positionals[i] ?? "";
}

function printJson(ctx: CommandContext, value: unknown): void {
  ctx.io.out(JSON.stringify(value, null, 2) + "\n");
}

async function confirm(ctx: CommandContext, question: string): Promise<void> {
  if (ctx.values.yes === true) return;
  if (!ctx.io.stdinIsTerminal()) {
    throw new UsageError(
      "Refusing to delete without confirmation: pass --yes (standard input is not a terminal)",
    );
  }
  const answer = await ctx.io.readLine(`${question} [y/N] `);
  if (!answer || !/^y(es)?$/i.test(answer.trim())) throw new CliError("Aborted");
}

const CORE_COMMANDS: CommandSpec[] = [
  {
    path: ["serve"],
    summary: "run the mail server",
    args: "",
    minArgs: 0,
    maxArgs: 0,
    options: {},
    description: "Starts every enabled listener of the configuration and runs until SIGINT or SIGTERM; " +
      "SIGHUP reloads the configuration.",
    examples: ["tern serve --config /etc/tern/tern.toml", "TERN_CONFIG=tern.toml tern serve"],
    run: () => Promise.reject(new Error("serve is dispatched by run.ts")),
  },
  {
    path: ["user", "add"],
    summary: "create an account with its default mailboxes",
    args: "ADDRESS",
    minArgs: 1,
    maxArgs: 1,
    options: {
      name: { type: "string", arg: "NAME", help: "display name" },
      quota: { type: "string", arg: "SIZE", help: "quota, e.g. 500M or 2G (default: 0, unlimited)" },
      "password-stdin": PASSWORD_STDIN,
      "data-dir": DATA_DIR,
    },
    description: "The domain of ADDRESS must be a local domain (tern domain add). The password is asked " +
      "twice without echo, or read from standard input with --password-stdin.",
    examples: [
      "tern user add ada@example.com --name 'Ada Lovelace'",
      "printf '%s' \"$PASSWORD\" | tern user add ada@example.com --password-stdin --quota 2G",
    ],
    async run(ctx) {
      const quota = str(ctx, "quota");
      const quotaBytes = quota === undefined ? undefined : parseSize(quota);
      const password = await readNewPassword(ctx.io, ctx.values["password-stdin"] === true);
      const { local_domains } = await ctx.config();
      const account = await ctx.withDirectory(async ({ store, hasher }) => {
        const a = await addUser(
          store,
          hasher,
          { address: arg(ctx, 0), password, displayName: str(ctx, "name"), quotaBytes },
          local_domains,
        );
        return await auditCli(store, "account.create", a, a.address, { quotaBytes: a.quotaBytes });
      });
      ctx.io.out(`Added account ${account.address}\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ["user", "list"],
    summary: "list accounts",
    args: "",
    minArgs: 0,
    maxArgs: 0,
    options: { json: JSON_OUT, "data-dir": DATA_DIR },
    examples: ["tern user list", "tern user list --json"],
    async run(ctx) {
      const accounts = await ctx.withDirectory(({ store }) => listUsers(store));
      if (ctx.values.json) {
        printJson(ctx, accounts);
        return ExitCode.ok;
      }
      ctx.io.out(formatTable(
        ["ADDRESS", "NAME", "USED", "QUOTA", "STATUS"],
        accounts.map((a) => [
          a.address,
          a.displayName,
          formatSize(a.usedBytes),
          a.quotaBytes === 0 ? "unlimited" : formatSize(a.quotaBytes),
          a.disabled ? "disabled" : "active",
        ]),
      ));
      return ExitCode.ok;
    },
  },
  {
    path: ["user", "show"],
    summary: "show an account, its addresses and mailboxes",
    args: "ADDRESS",
    minArgs: 1,
    maxArgs: 1,
    options: { json: JSON_OUT, "data-dir": DATA_DIR },
    examples: ["tern user show ada@example.com"],
    async run(ctx) {
      const d = await ctx.withDirectory(({ store }) => showUser(store, arg(ctx, 0)));
      if (ctx.values.json) {
        printJson(ctx, d);
        return ExitCode.ok;
      }
      const a = d.account;
      ctx.io.out(
        [
          `Address:   ${a.address}`,
          `Name:      ${a.displayName}`,
          `Id:        ${a.id}`,
          `Status:    ${a.disabled ? "disabled" : "active"}`,
          `Created:   ${a.created.toISOString()}`,
          `Used:      ${formatSize(a.usedBytes)}`,
          `Quota:     ${a.quotaBytes === 0 ? "unlimited" : formatSize(a.quotaBytes)}`,
          `Sends as:  ${d.sendableAddresses.join(", ")}`,
          "",
        ].join("\n"),
      );
      ctx.io.out(formatTable(
        ["MAILBOX", "ROLE", "MESSAGES", "UNREAD", "SIZE"],
        d.mailboxes.map((
          m,
        ) => [m.path, m.role ?? "", String(m.messages), String(m.unread), formatSize(m.bytes)]),
      ));
      return ExitCode.ok;
    },
  },
  {
    path: ["user", "passwd"],
    summary: "set an account's password",
    args: "ADDRESS",
    minArgs: 1,
    maxArgs: 1,
    options: { "password-stdin": PASSWORD_STDIN, "data-dir": DATA_DIR },
    examples: [
      "tern user passwd ada@example.com",
      "tern user passwd ada@example.com --password-stdin < pw.txt",
    ],
    async run(ctx) {
      const password = await readNewPassword(ctx.io, ctx.values["password-stdin"] === true);
      const account = await ctx.withDirectory(async ({ store, hasher }) => {
        const a = await setPassword(store, hasher, arg(ctx, 0), password);
        return await auditCli(store, "account.update", a, a.address, { passwordChanged: true });
      });
      ctx.io.out(`Password changed for ${account.address}\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ["user", "set"],
    summary: "change an account's display name, quota or status",
    args: "ADDRESS",
    minArgs: 1,
    maxArgs: 1,
    options: {
      name: { type: "string", arg: "NAME", help: "new display name" },
      quota: { type: "string", arg: "SIZE", help: "new quota, e.g. 500M, 2G, or 0 for unlimited" },
      disable: { type: "boolean", help: "disable the account: no login, no incoming mail" },
      enable: { type: "boolean", help: "enable a disabled account" },
      "data-dir": DATA_DIR,
    },
    examples: ["tern user set ada@example.com --quota 5G", "tern user set bob@example.com --disable"],
    async run(ctx) {
      if (ctx.values.disable && ctx.values.enable) {
        throw new UsageError("--disable and --enable exclude each other");
      }
      const patch: { displayName?: string; quotaBytes?: number; disabled?: boolean } = {};
      const name = str(ctx, "name");
      const quota = str(ctx, "quota");
      if (name !== undefined) patch.displayName = name;
      if (quota !== undefined) patch.quotaBytes = parseSize(quota);
      if (ctx.values.disable) patch.disabled = true;
      if (ctx.values.enable) patch.disabled = false;
      if (Object.keys(patch).length === 0) {
        throw new UsageError("Nothing to change: give --name, --quota, --disable or --enable");
      }
      const account = await ctx.withDirectory(async ({ store }) => {
        const a = await updateUser(store, arg(ctx, 0), patch);
        return await auditCli(store, "account.update", a, a.address, { ...patch });
      });
      ctx.io.out(`Updated account ${account.address}\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ["user", "delete"],
    summary: "delete an account and all its mail",
    args: "ADDRESS",
    minArgs: 1,
    maxArgs: 1,
    options: {
      yes: { type: "boolean", short: "y", help: "do not ask for confirmation" },
      "data-dir": DATA_DIR,
    },
    description: "Asks for confirmation on a terminal; without a terminal --yes is required.",
    examples: ["tern user delete ada@example.com", "tern user delete ada@example.com --yes"],
    async run(ctx) {
      await confirm(ctx, `Delete account ${arg(ctx, 0)} and all its mail?`);
      const account = await ctx.withDirectory(async ({ store }) => {
        const a = await deleteUser(store, arg(ctx, 0));
        return await auditCli(store, "account.delete", a, a.address);
      });
      ctx.io.out(`Deleted account ${account.address}\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ["domain", "add"],
    summary: "add a local domain",
    args: "DOMAIN",
    minArgs: 1,
    maxArgs: 1,
    options: { "data-dir": DATA_DIR },
    examples: ["tern domain add example.com"],
    async run(ctx) {
      const d = await ctx.withDirectory(async ({ store }) => {
        const domain = await addDomain(store, arg(ctx, 0));
        return await auditCli(store, "domain.create", domain, domain.name);
      });
      ctx.io.out(`Added domain ${d.name}\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ["domain", "list"],
    summary: "list local domains",
    args: "",
    minArgs: 0,
    maxArgs: 0,
    options: { json: JSON_OUT, "data-dir": DATA_DIR },
    examples: ["tern domain list"],
    async run(ctx) {
      const domains = await ctx.withDirectory(({ store }) => listDomains(store));
      if (ctx.values.json) printJson(ctx, domains);
      else {ctx.io.out(
          formatTable(["DOMAIN", "CREATED"], domains.map((d) => [d.name, d.created.toISOString()])),
        );}
      return ExitCode.ok;
    },
  },
  {
    path: ["domain", "delete"],
    summary: "delete a local domain (it must have no accounts)",
    args: "DOMAIN",
    minArgs: 1,
    maxArgs: 1,
    options: { "data-dir": DATA_DIR },
    examples: ["tern domain delete example.com"],
    async run(ctx) {
      await ctx.withDirectory(async ({ store }) => {
        await deleteDomain(store, arg(ctx, 0));
        await auditCli(store, "domain.delete", null, arg(ctx, 0).toLowerCase());
      });
      ctx.io.out(`Deleted domain ${arg(ctx, 0).toLowerCase()}\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ["alias", "add"],
    summary: "deliver an address to one or more accounts",
    args: "ADDRESS TARGET...",
    minArgs: 2,
    maxArgs: Infinity,
    options: { "data-dir": DATA_DIR },
    description: "ADDRESS may be *@DOMAIN, the domain's catch-all. Targets are account addresses.",
    examples: [
      "tern alias add sales@example.com ada@example.com bob@example.com",
      "tern alias add '*@example.com' ada@example.com",
    ],
    async run(ctx) {
      const { local_domains } = await ctx.config();
      const alias = await ctx.withDirectory(async ({ store }) => {
        const a = await addAlias(store, arg(ctx, 0), ctx.positionals.slice(1), local_domains);
        return await auditCli(store, "alias.create", a, a.address, { targets: a.targets });
      });
      ctx.io.out(`Added alias ${alias.address} -> ${alias.targets.join(", ")}\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ["alias", "list"],
    summary: "list aliases",
    args: "",
    minArgs: 0,
    maxArgs: 0,
    options: { json: JSON_OUT, "data-dir": DATA_DIR },
    examples: ["tern alias list"],
    async run(ctx) {
      const aliases = await ctx.withDirectory(({ store }) => listAliases(store));
      if (ctx.values.json) printJson(ctx, aliases);
      else {ctx.io.out(
          formatTable(["ALIAS", "TARGETS"], aliases.map((a) => [a.address, a.targets.join(", ")])),
        );}
      return ExitCode.ok;
    },
  },
  {
    path: ["alias", "delete"],
    summary: "delete an alias",
    args: "ADDRESS",
    minArgs: 1,
    maxArgs: 1,
    options: { "data-dir": DATA_DIR },
    examples: ["tern alias delete sales@example.com"],
    async run(ctx) {
      await ctx.withDirectory(async ({ store }) => {
        await deleteAlias(store, arg(ctx, 0));
        await auditCli(store, "alias.delete", null, arg(ctx, 0));
      });
      ctx.io.out(`Deleted alias ${arg(ctx, 0)}\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ["token", "create"],
    summary: "create a JMAP API token (HTTP Bearer) for an account",
    args: "ADDRESS",
    minArgs: 1,
    maxArgs: 1,
    options: {
      name: { type: "string", arg: "NAME", help: 'label to recognise it by (default "cli")' },
      scope: {
        type: "string",
        arg: "SCOPE",
        help: "read-only, account (default), org-admin or platform-admin; never more than the account's role",
      },
      "data-dir": DATA_DIR,
    },
    description: "Prints the token once on standard output; only its SHA-256 hash is stored. " +
      "Send it as `Authorization: Bearer <token>` (JMAP and the admin API).",
    examples: [
      "tern token create ada@example.com --name laptop",
      "tern token create ops@example.com --scope read-only",
    ],
    async run(ctx) {
      const created = await ctx.withDirectory(async ({ store }) => {
        const t = await createToken(
          store,
          normalizeAddress(arg(ctx, 0)),
          str(ctx, "name") ?? "cli",
          tokenScope(str(ctx, "scope")),
        ).catch(
          unknownAccountAsFailure,
        );
        return await auditCli(store, "token.create", t, normalizeAddress(arg(ctx, 0)), { tokenId: t.id });
      });
      ctx.io.err(`Created token ${created.id} for ${arg(ctx, 0)}; it is shown only once:\n`);
      ctx.io.out(`${created.token}\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ["token", "list"],
    summary: "list API tokens (of one account, or all)",
    args: "[ADDRESS]",
    minArgs: 0,
    maxArgs: 1,
    options: { json: JSON_OUT, "data-dir": DATA_DIR },
    examples: ["tern token list", "tern token list ada@example.com"],
    async run(ctx) {
      const address = ctx.positionals[0];
      const { tokens, owners } = await ctx.withDirectory(async ({ store }) => ({
        tokens: await listTokens(store, address === undefined ? undefined : normalizeAddress(address))
          .catch(unknownAccountAsFailure),
        owners: new Map((await store.listAccounts()).map((a) => [a.id, a.address])),
      }));
      const rows = tokens.map((t) => ({ ...t, address: owners.get(t.accountId) ?? t.accountId }));
      if (ctx.values.json) printJson(ctx, rows);
      else {
        ctx.io.out(formatTable(
          ["ID", "ACCOUNT", "NAME", "CREATED", "LAST USED"],
          rows.map((
            t,
          ) => [t.id, t.address, t.name, t.created.toISOString(), t.lastUsed?.toISOString() ?? "never"]),
        ));
      }
      return ExitCode.ok;
    },
  },
  {
    path: ["token", "revoke"],
    summary: "revoke an API token by its id",
    args: "ID",
    minArgs: 1,
    maxArgs: 1,
    options: { "data-dir": DATA_DIR },
    examples: ["tern token revoke 0f6c…  # the ID column of tern token list"],
    async run(ctx) {
      const revoked = await ctx.withDirectory(async ({ store }) => {
        const done = await revokeToken(store, arg(ctx, 0));
        return done ? await auditCli(store, "token.revoke", done, `token:${arg(ctx, 0)}`) : done;
      });
      if (!revoked) throw new CliError(`No token "${arg(ctx, 0)}"`);
      ctx.io.out(`Revoked token ${arg(ctx, 0)}\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ["config", "show"],
    summary: "print the effective configuration (defaults filled in) as TOML",
    args: "",
    minArgs: 0,
    maxArgs: 0,
    options: { json: JSON_OUT },
    description: 'Secrets (relay passwords, HMAC secrets) are replaced by "[redacted]".',
    examples: ["tern config show --config tern.toml", "tern config show   # the built-in defaults"],
    async run(ctx) {
      const config = redactSecrets(await ctx.config());
      ctx.io.out(ctx.values.json ? JSON.stringify(config, null, 2) + "\n" : stringifyToml(config));
      return ExitCode.ok;
    },
  },
  {
    path: ["config", "check"],
    summary: "validate a configuration file",
    args: "",
    minArgs: 0,
    maxArgs: 0,
    options: {},
    description: "Reads the file, reports every problem as FILE:LINE: KEY: what was expected, and exits " +
      "with 2 if there is one.",
    examples: ["tern config check --config /etc/tern/tern.toml"],
    async run(ctx) {
      await ctx.config();
      const file = str(ctx, "config") ?? ctx.io.env("TERN_CONFIG");
      ctx.io.out(file ? `${file}: OK\n` : "No configuration file given: the built-in defaults are valid\n");
      return ExitCode.ok;
    },
  },
];

/**
 * Every leaf command: the directory commands above, then those of the outbound queue
 * (core/cli/queue_commands.ts) and of the connection policy's bans (core/cli/ban_commands.ts).
 */
export const COMMANDS: CommandSpec[] = [
  ...CORE_COMMANDS,
  ...QUEUE_COMMANDS,
  ...BAN_COMMANDS,
  ...DMARC_COMMANDS,
  ...SIEVE_COMMANDS,
  ...SHARE_COMMANDS,
  ...SETUP_COMMANDS,
  ...TRANSFER_COMMANDS,
  ...TENANCY_COMMANDS,
  ...WEBHOOK_COMMANDS,
  ...API_COMMANDS,
];
