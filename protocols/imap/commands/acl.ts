/**
 * The ACL commands (RFC 4314 §3): SETACL, DELETEACL, GETACL, LISTRIGHTS and MYRIGHTS. Identifiers
 * are account addresses and "anyone"; the owner of a mailbox holds every right and cannot lose them.
 * Rights checks use core/acl through `requireMailbox`.
 *
 * @module
 */
import { ANYONE } from "../../../core/store/records/mailbox_acl.ts";
import { ALL_RIGHTS, applyModification, formatRights, hasAnyRight } from "../../../core/acl/rights.ts";
import { mayGrantTo, setGrant } from "../../../core/acl/access.ts";

import { Args } from "../parser/args.ts";
import { bad, no, ok } from "../errors.ts";
import { astr } from "../format/strings.ts";
import type { ImapSession } from "../session_types.ts";
import { requireMailbox } from "./mailbox.ts";
import { AUTH, type CommandSpec } from "./types.ts";

/**
 * Resolves an identifier (RFC 4314 §2) to "anyone" or an account id. A user of another organization
 * is answered as one that does not exist (core/acl `mayGrantTo`).
 */
async function grantee(s: ImapSession, identifier: string, ownerId: string): Promise<string> {
  // RFC 4314 §2: a leading "-" names negative rights, which this server does not implement.
  if (identifier.startsWith("-")) throw no("Negative rights are not supported", "CANNOT");
  if (identifier.toLowerCase() === ANYONE) return ANYONE;
  const account = await s.store.getAccountByAddress(identifier);
  if (!account || !(await mayGrantTo(s.store, ownerId, account.id))) throw no("No such user", "CANNOT");
  return account.id;
}

/** The identifier shown for a grantee: "anyone" or the account address. */
async function identifierOf(s: ImapSession, id: string): Promise<string | null> {
  if (id === ANYONE) return ANYONE;
  return (await s.store.getAccount(id))?.address ?? null;
}

/** SETACL mailbox identifier mod-rights (RFC 4314 §3.1): needs "a". */
export const setacl: CommandSpec = {
  states: AUTH,
  async handle(s, cmd) {
    const a = new Args(cmd.args);
    const raw = a.astring("mailbox name");
    const identifier = a.astring("identifier");
    const mod = a.astring("rights");
    a.end();
    // RFC 4314 §3.1: an unknown right is a BAD.
    if (applyModification("", mod) === null) throw bad("Invalid rights");
    const { mailbox, ownerId } = await requireMailbox(s, raw, false, "a");
    const id = await grantee(s, identifier, ownerId);
    if (id === ownerId) throw no("The owner's rights cannot be changed", "CANNOT");
    const grants = await s.store.mailboxAcl.list(ownerId, mailbox.id);
    const current = grants.find((g) => g.grantee === id)?.rights ?? "";
    await setGrant(s.store, ownerId, mailbox.id, id, applyModification(current, mod)!, {
      changedBy: s.accountId,
      now: new Date(),
    });
    return ok("SETACL completed");
  },
};

/** DELETEACL mailbox identifier (RFC 4314 §3.2): needs "a". */
export const deleteacl: CommandSpec = {
  states: AUTH,
  async handle(s, cmd) {
    const a = new Args(cmd.args);
    const raw = a.astring("mailbox name");
    const identifier = a.astring("identifier");
    a.end();
    const { mailbox, ownerId } = await requireMailbox(s, raw, false, "a");
    const id = await grantee(s, identifier, ownerId);
    if (id === ownerId) throw no("The owner's rights cannot be changed", "CANNOT");
    await setGrant(s.store, ownerId, mailbox.id, id, "", { changedBy: s.accountId, now: new Date() });
    return ok("DELETEACL completed");
  },
};

/** GETACL mailbox (RFC 4314 §3.3): `* ACL mailbox (identifier rights)*`, needs "a". */
export const getacl: CommandSpec = {
  states: AUTH,
  async handle(s, cmd) {
    const a = new Args(cmd.args);
    const raw = a.astring("mailbox name");
    a.end();
    const { mailbox, name, ownerId } = await requireMailbox(s, raw, false, "a");
    const parts: string[] = [];
    const owner = await identifierOf(s, ownerId);
    if (owner) parts.push(`${astr(owner, s.utf8)} ${formatRights(ALL_RIGHTS)}`);
    for (const g of await s.store.mailboxAcl.list(ownerId, mailbox.id)) {
      const who = await identifierOf(s, g.grantee);
      if (who) parts.push(`${astr(who, s.utf8)} ${formatRights(g.rights)}`);
    }
    await s.out.line(`* ACL ${s.encodeName(name)}${parts.map((p) => " " + p).join("")}`);
    return ok("GETACL completed");
  },
};

/**
 * LISTRIGHTS mailbox identifier (RFC 4314 §3.4), needs "a": the owner always holds every right;
 * anyone else may be granted each right on its own (and the obsolete "c" and "d"), none required.
 */
export const listrights: CommandSpec = {
  states: AUTH,
  async handle(s, cmd) {
    const a = new Args(cmd.args);
    const raw = a.astring("mailbox name");
    const identifier = a.astring("identifier");
    a.end();
    const { name, ownerId } = await requireMailbox(s, raw, false, "a");
    const id = await grantee(s, identifier, ownerId);
    // RFC 4314 §3.4 (and its example): each right on its own, then the obsolete "c" and "d".
    const rest = id === ownerId ? ALL_RIGHTS : `"" ${[...ALL_RIGHTS].join(" ")} c d`;
    await s.out.line(`* LISTRIGHTS ${s.encodeName(name)} ${astr(identifier, s.utf8)} ${rest}`);
    return ok("LISTRIGHTS completed");
  },
};

/** MYRIGHTS mailbox (RFC 4314 §3.5): allowed with any right (§4: l r i k x a). */
export const myrights: CommandSpec = {
  states: AUTH,
  async handle(s, cmd) {
    const a = new Args(cmd.args);
    const raw = a.astring("mailbox name");
    a.end();
    const { name, rights } = await requireMailbox(s, raw);
    if (!hasAnyRight(rights, "lrikxa")) throw no("Mailbox does not exist", "NONEXISTENT");
    await s.out.line(`* MYRIGHTS ${s.encodeName(name)} ${formatRights(rights)}`);
    return ok("MYRIGHTS completed");
  },
};
