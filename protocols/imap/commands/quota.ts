/**
 * QUOTA (RFC 9208): one quota root "" per account with the STORAGE resource (in KiB), and, when the
 * plan of the account's organization limits storage (issue 16), the root "organization" shared by
 * all its accounts (RFC 9208 §3: a root may span accounts); quotas are set by the administrator, so
 * SETQUOTA is refused.
 *
 * @module
 */
import { Args } from "../parser/args.ts";
import { no, ok } from "../errors.ts";
import type { ImapSession } from "../session_types.ts";
import { requireMailbox } from "./mailbox.ts";
import { AUTH, type CommandSpec } from "./types.ts";
import { tenancyOf } from "../../../core/tenancy/policy.ts";

/** The quota root of the account's organization (its plan's storage). */
const ORG_ROOT = "organization";

async function orgQuotaLine(s: ImapSession): Promise<string | null> {
  const policy = tenancyOf(s.server);
  const { orgId, plan } = await policy.planOf(s.accountId);
  const max = plan?.limits.storageBytes ?? null;
  if (max === null) return null;
  const used = (await s.store.organizations.resources(orgId)).storageBytes;
  return `* QUOTA "${ORG_ROOT}" (STORAGE ${Math.ceil(used / 1024)} ${Math.floor(max / 1024)})`;
}

async function quotaLine(s: ImapSession): Promise<string | null> {
  const account = await s.store.getAccount(s.accountId);
  if (!account || account.quotaBytes <= 0) return null;
  // RFC 9208 §5.1: STORAGE usage and limit in units of 1024 octets.
  return `* QUOTA "" (STORAGE ${Math.ceil(account.usedBytes / 1024)} ${
    Math.floor(account.quotaBytes / 1024)
  })`;
}

/** GETQUOTAROOT mailbox. */
export const getQuotaRoot: CommandSpec = {
  states: AUTH,
  async handle(s, cmd) {
    const a = new Args(cmd.args);
    const raw = a.astring("mailbox name");
    a.end();
    const { name } = await requireMailbox(s, raw);
    const line = await quotaLine(s);
    const org = await orgQuotaLine(s);
    await s.out.line(`* QUOTAROOT ${s.encodeName(name)}${line ? ' ""' : ""}${org ? ` "${ORG_ROOT}"` : ""}`);
    if (line) await s.out.line(line);
    if (org) await s.out.line(org);
    return ok("GETQUOTAROOT completed");
  },
};

/** GETQUOTA root. */
export const getQuota: CommandSpec = {
  states: AUTH,
  async handle(s, cmd) {
    const a = new Args(cmd.args);
    const root = a.astring("quota root");
    a.end();
    const line = root === "" ? await quotaLine(s) : root === ORG_ROOT ? await orgQuotaLine(s) : null;
    if (!line) throw no("No such quota root", "NONEXISTENT");
    await s.out.line(line);
    return ok("GETQUOTA completed");
  },
};

/** SETQUOTA: administrators set quotas, not users (RFC 9208 §4.3). */
export const setQuota: CommandSpec = {
  states: AUTH,
  handle() {
    return Promise.reject(no("Quotas are set by the administrator", "NOPERM"));
  },
};
