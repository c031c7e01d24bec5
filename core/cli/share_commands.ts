/**
 * `tern share list|grant|revoke`: who may use which mailbox of an account (RFC 4314 rights, the
 * same grants IMAP SETACL and JMAP shareWith change), in the data directory's database.
 *
 * @module
 */
import type { CommandSpec, GroupSpec } from "./spec.ts";
import { CliError, ExitCode, NotFoundError } from "./errors.ts";
import { formatTable } from "./table.ts";
import { StoreError } from "../store/types.ts";
import { grantShare, listShares, revokeShare } from "../acl/operations.ts";

/** The `share` group for `tern --help`. */
export const SHARE_GROUP: GroupSpec = {
  name: "share",
  summary: "share mailboxes between accounts (IMAP ACL)",
};

const DATA_DIR = {
  type: "string" as const,
  arg: "DIR",
  help: "data directory to use instead of the configuration's data_dir",
};

function failure(e: unknown): never {
  if (e instanceof StoreError && e.code === "notFound") throw new NotFoundError(e.message);
  if (e instanceof StoreError) throw new CliError(e.message);
  throw e;
}

/** `tern share …`. */
export const SHARE_COMMANDS: CommandSpec[] = [
  {
    path: ["share", "list"],
    summary: "list the grants on an account's mailboxes",
    args: "OWNER [MAILBOX]",
    minArgs: 1,
    maxArgs: 2,
    options: { json: { type: "boolean", help: "print JSON instead of a table" }, "data-dir": DATA_DIR },
    examples: ["tern share list ada@example.org", "tern share list ada@example.org Projects"],
    async run(ctx) {
      const grants = await ctx.withDirectory(({ store }) =>
        listShares(store, ctx.positionals[0]!, ctx.positionals[1]).catch(failure)
      );
      if (ctx.values.json) ctx.io.out(JSON.stringify(grants, null, 2) + "\n");
      else {ctx.io.out(
          formatTable(["MAILBOX", "GRANTEE", "RIGHTS"], grants.map((g) => [g.mailbox, g.grantee, g.rights])),
        );}
      return ExitCode.ok;
    },
  },
  {
    path: ["share", "grant"],
    summary: "give a user (or anyone) rights on a mailbox",
    args: "OWNER MAILBOX GRANTEE RIGHTS",
    minArgs: 4,
    maxArgs: 4,
    options: { "data-dir": DATA_DIR },
    description: "RIGHTS are RFC 4314 letters: l lookup, r read, s seen, w write flags, i insert, p post, " +
      "k create children, x delete mailbox, t delete messages, e expunge, a administer. " +
      'Letters replace the grant; "+letters" adds, "-letters" removes. GRANTEE is an address or "anyone" ' +
      "(every user of the owner's organization).",
    examples: [
      "tern share grant ada@example.org Projects bob@example.org lrs",
      "tern share grant ada@example.org Projects bob@example.org +wi",
    ],
    async run(ctx) {
      const [owner, mailbox, grantee, rights] = ctx.positionals as [string, string, string, string];
      const now = await ctx.withDirectory(({ store }) =>
        grantShare(store, owner, mailbox, grantee, rights).catch(failure)
      );
      ctx.io.out(
        now === "" ? `${grantee} has no rights on ${mailbox}\n` : `${grantee} has ${now} on ${mailbox}\n`,
      );
      return ExitCode.ok;
    },
  },
  {
    path: ["share", "revoke"],
    summary: "remove a user's (or anyone's) rights on a mailbox",
    args: "OWNER MAILBOX GRANTEE",
    minArgs: 3,
    maxArgs: 3,
    options: { "data-dir": DATA_DIR },
    examples: ["tern share revoke ada@example.org Projects bob@example.org"],
    async run(ctx) {
      const [owner, mailbox, grantee] = ctx.positionals as [string, string, string];
      await ctx.withDirectory(({ store }) => revokeShare(store, owner, mailbox, grantee).catch(failure));
      ctx.io.out(`${grantee} has no rights on ${mailbox}\n`);
      return ExitCode.ok;
    },
  },
];
