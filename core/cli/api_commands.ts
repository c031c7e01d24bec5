/**
 * `tern session list|revoke` and `tern audit list`: the admin API's login sessions and the audit
 * log from the command line, over the operations the API uses (core/api_auth/session_ops.ts,
 * `Store.audit`). Revoking works while the server runs: its next request checks the session.
 *
 * @module
 */
import type { CommandContext, CommandSpec, GroupSpec, OptionSpec } from "./spec.ts";
import { ExitCode, NotFoundError, UsageError } from "./errors.ts";
import { formatTable } from "./table.ts";
import { normalizeAddress } from "./directory_ops.ts";
import { systemClock } from "../clock.ts";
import { CLI_ACTOR } from "../audit/audit_log.ts";
import { activeSessions, revokeSessions } from "../api_auth/session_ops.ts";
import type { SessionSelector } from "../store/records/api_sessions.ts";
import type { Store } from "../store/store.ts";

/** The groups for `tern --help`. */
export const API_GROUPS: GroupSpec[] = [
  { name: "session", summary: "admin-API login sessions (list, revoke)" },
  { name: "audit", summary: "the audit log of changes and security events (list)" },
];

const DATA_DIR: OptionSpec = {
  type: "string",
  arg: "DIR",
  help: "data directory to use instead of the configuration's data_dir",
};
const JSON_OPT: OptionSpec = { type: "boolean", help: "print JSON instead of a table" };

function str(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.values[name];
  return typeof v === "string" ? v : undefined;
}

async function accountId(store: Store, address: string): Promise<string> {
  const account = await store.getAccountByAddress(normalizeAddress(address));
  if (!account) throw new NotFoundError(`No account "${address}"`);
  return account.id;
}

/** The session and audit commands. */
export const API_COMMANDS: CommandSpec[] = [
  {
    path: ["session", "list"],
    summary: "list active admin-API login sessions (of one account, or all)",
    args: "[ADDRESS]",
    minArgs: 0,
    maxArgs: 1,
    options: { json: JSON_OPT, "data-dir": DATA_DIR },
    examples: ["tern session list", "tern session list ada@example.com --json"],
    async run(ctx) {
      const rows = await ctx.withDirectory(async ({ store }) => {
        const selector: SessionSelector = ctx.positionals[0] === undefined
          ? { all: true }
          : { accountId: await accountId(store, ctx.positionals[0]) };
        const sessions = await activeSessions({ store, clock: systemClock }, selector);
        const out = [];
        for (const s of sessions) {
          out.push({ ...s, address: (await store.getAccount(s.accountId))?.address ?? s.accountId });
        }
        return out;
      });
      if (ctx.values.json) ctx.io.out(JSON.stringify(rows, null, 2) + "\n");
      else {
        ctx.io.out(formatTable(
          ["ID", "ACCOUNT", "ORG", "IP", "LAST SEEN", "DEVICE"],
          rows.map((
            s,
          ) => [s.id, s.address, s.orgId, s.ip, s.lastSeen.toISOString(), s.userAgent.slice(0, 40)]),
        ));
      }
      return ExitCode.ok;
    },
  },
  {
    path: ["session", "revoke"],
    summary: "revoke admin-API login sessions: one, an account's, an organization's or all",
    args: "",
    minArgs: 0,
    maxArgs: 0,
    options: {
      id: { type: "string", arg: "ID", help: "one session (the ID column of tern session list)" },
      account: { type: "string", arg: "ADDRESS", help: "every session of an account" },
      org: { type: "string", arg: "ORG", help: "every session of an organization" },
      all: { type: "boolean", help: "every session (emergency)" },
      "data-dir": DATA_DIR,
    },
    description:
      "Give exactly one of --id, --account, --org or --all. API tokens are not sessions: revoke them " +
      'with "tern token revoke".',
    examples: ["tern session revoke --account ada@example.com", "tern session revoke --all"],
    async run(ctx) {
      const given = ["id", "account", "org", "all"].filter((k) => ctx.values[k] !== undefined);
      if (given.length !== 1) throw new UsageError("Give exactly one of --id, --account, --org or --all");
      const revoked = await ctx.withDirectory(async ({ store }) => {
        const id = str(ctx, "id"), account = str(ctx, "account"), org = str(ctx, "org");
        const selector: SessionSelector = id !== undefined
          ? { id }
          : account !== undefined
          ? { accountId: await accountId(store, account) }
          : org !== undefined
          ? { orgId: org }
          : { all: true };
        return await revokeSessions({ store, clock: systemClock }, selector, CLI_ACTOR, {
          reason: "revoked with tern session revoke",
          ...(account !== undefined ? { target: normalizeAddress(account) } : {}),
        });
      });
      ctx.io.out(`Revoked ${revoked} session${revoked === 1 ? "" : "s"}\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ["audit", "list"],
    summary: "show the audit log, newest first",
    args: "",
    minArgs: 0,
    maxArgs: 0,
    options: {
      org: { type: "string", arg: "ORG", help: "only this organization's entries" },
      kind: { type: "string", arg: "KIND", help: "change or security" },
      action: { type: "string", arg: "PREFIX", help: "only actions starting with this (account., session.)" },
      limit: { type: "string", arg: "N", help: "at most N entries (default 50)" },
      json: JSON_OPT,
      "data-dir": DATA_DIR,
    },
    examples: ["tern audit list --kind security", "tern audit list --org acme --action account. --json"],
    async run(ctx) {
      const kind = str(ctx, "kind");
      if (kind !== undefined && kind !== "change" && kind !== "security") {
        throw new UsageError(`Invalid kind "${kind}": expected change or security`);
      }
      const limitText = str(ctx, "limit") ?? "50";
      const limit = Number(limitText);
      if (!/^\d{1,5}$/.test(limitText) || limit < 1) throw new UsageError(`Invalid limit "${limitText}"`);
      const org = str(ctx, "org"), action = str(ctx, "action");
      const entries = await ctx.withDirectory(({ store }) =>
        store.audit.list({
          limit,
          ...(org !== undefined ? { orgId: org } : {}),
          ...(kind !== undefined ? { kind } : {}),
          ...(action !== undefined ? { actionPrefix: action } : {}),
        })
      );
      if (ctx.values.json) ctx.io.out(JSON.stringify(entries, null, 2) + "\n");
      else {
        ctx.io.out(formatTable(
          ["TIME", "KIND", "ACTION", "ACTOR", "TARGET", "IP"],
          entries.map((e) => [e.at.toISOString(), e.kind, e.action, e.actor, e.target ?? "", e.ip ?? ""]),
        ));
      }
      return ExitCode.ok;
    },
  },
];
