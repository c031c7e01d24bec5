/**
 * CREATE and RENAME in the other-users namespace (RFC 4314 §4: "k" on the parent). The new mailbox belongs
 * to the parent's owner and starts with the parent's ACL, so whoever could create it can use it.
 *
 * @module
 */
import { rightsOf } from "../../../core/acl/access.ts";
import { no, ok, type Reply } from "../errors.ts";
import type { ImapSession } from "../session_types.ts";
import { DELIMITER, MailboxTree, normalizeName } from "../mailbox_names.ts";
import type { Mailbox } from "../../../core/store/types.ts";
import { splitShared } from "./acl_names.ts";

/** Creates `Other Users/<owner>/<path>` for the logged-in user, who needs "k" on the parent. */
export async function createShared(s: ImapSession, parts: string[]): Promise<Reply> {
  const shared = splitShared(parts.join(DELIMITER))!;
  const owner = await s.store.getAccountByAddress(shared.owner);
  // Every refusal reads the same, so nothing is learned about mailboxes the user cannot see.
  const denied = () => no("Permission denied", "NOPERM");
  if (!owner || owner.id === s.accountId || shared.path === "") throw denied();
  const tree = new MailboxTree(await s.store.listMailboxes(owner.id));
  const cut = shared.path.lastIndexOf(DELIMITER);
  if (cut < 0) throw denied();
  const parent = tree.find(shared.path.slice(0, cut));
  if (!parent) throw denied();
  const parentRights = await rightsOf(s.store, s.accountId, owner.id, parent.id);
  if (!parentRights.includes("k")) throw denied();
  if (tree.find(shared.path)) throw no("Mailbox already exists", "ALREADYEXISTS");
  const created = await s.store.createMailbox(owner.id, {
    name: shared.path.slice(cut + 1),
    parentId: parent.id,
    subscribed: false,
  });
  for (const g of await s.store.mailboxAcl.list(owner.id, parent.id)) {
    await s.store.mailboxAcl.set(owner.id, created.id, g.grantee, g.rights);
  }
  // RFC 8474 §4.1.
  return ok("CREATE completed", `MAILBOXID (${created.id})`);
}

/**
 * RENAME of another user's mailbox, within that owner's namespace only (RFC 4314 §4: "x" on the
 * mailbox, checked by the caller, and "k" on the new parent). The owner's INBOX and a new name at
 * the top of their tree (no parent to hold "k" on) are refused; so is a move across namespaces.
 */
export async function renameShared(
  s: ImapSession,
  source: { mailbox: Mailbox; tree: MailboxTree; ownerId: string },
  target: string,
): Promise<Reply> {
  const denied = () => no("Permission denied", "NOPERM");
  const shared = splitShared(target);
  const owner = await s.store.getAccount(source.ownerId);
  // RFC 4314 §4 with RFC 2342: a mailbox stays in its owner's namespace.
  if (!shared || !owner || shared.owner.toLowerCase() !== owner.address.toLowerCase()) {
    throw no("Cannot rename across namespaces", "CANNOT");
  }
  if (source.mailbox.role === "inbox" && source.mailbox.parentId === null) {
    throw no("Another user's INBOX cannot be renamed", "CANNOT");
  }
  const path = normalizeName(shared.path);
  const cut = path.lastIndexOf(DELIMITER);
  if (path === "" || cut < 0) throw denied();
  const parent = source.tree.find(path.slice(0, cut));
  if (!parent) throw denied();
  const parentRights = await rightsOf(s.store, s.accountId, source.ownerId, parent.id);
  if (!parentRights.includes("k")) throw denied();
  // RFC 9051 §6.3.6: a name that exists, the mailbox's own included, is an error.
  if (source.tree.find(path)) throw no("Target mailbox already exists", "ALREADYEXISTS");
  const old = source.tree.name(source.mailbox);
  if (path.startsWith(old + DELIMITER)) throw no("Cannot move a mailbox into itself", "CANNOT");
  await s.store.updateMailbox(source.ownerId, source.mailbox.id, {
    name: path.slice(cut + 1),
    parentId: parent.id,
  });
  return ok("RENAME completed");
}
