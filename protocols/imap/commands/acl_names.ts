/**
 * The other-users namespace (RFC 2342 §5, RFC 4314 §6): another account's mailbox that was shared
 * with the logged-in user is named `Other Users/<owner address>/<owner's full name>`. This module
 * resolves such names to (owner, mailbox, rights) and lists what the user may see there. Rights come
 * from core/acl; a mailbox the user may not look up is reported exactly as a missing one.
 *
 * @module
 */
import type { Mailbox } from "../../../core/store/types.ts";
import { rightsOf, sharedWith } from "../../../core/acl/access.ts";
import { ALL_RIGHTS } from "../../../core/acl/rights.ts";
import { OTHER_USERS } from "../../../core/acl/operations.ts";
import type { ImapSession } from "../session_types.ts";
import { DELIMITER, MailboxTree, normalizeName } from "../mailbox_names.ts";

/** The prefix of the other-users namespace (RFC 2342 §5), shared with JMAP through core/acl. */
export { OTHER_USERS };

/** A mailbox name resolved to its owner. */
export interface ResolvedMailbox {
  /** The account that owns the mailbox. */
  ownerId: string;
  /** The mailbox, or null when the owner has none of that name. */
  mailbox: Mailbox | null;
  /** The owner's mailbox tree. */
  tree: MailboxTree;
  /** The name inside the owner's tree ("Projects/2026"). */
  path: string;
  /** What the session's name for the owner's tree starts with: "" or "Other Users/alice@x/". */
  prefix: string;
  /** The logged-in user's rights on the mailbox ("" when it does not exist). */
  rights: string;
}

/** Splits `Other Users/owner/path` into owner and path, or null for a personal name. */
export function splitShared(name: string): { owner: string; path: string } | null {
  const head = OTHER_USERS + DELIMITER;
  if (!name.startsWith(head)) return null;
  const rest = name.slice(head.length);
  const cut = rest.indexOf(DELIMITER);
  return cut < 0 ? { owner: rest, path: "" } : { owner: rest.slice(0, cut), path: rest.slice(cut + 1) };
}

/**
 * Resolves a decoded mailbox name: a personal one to the user's own tree (every right), a name in
 * the other-users namespace to the owner's tree and the user's rights there. Null when the name
 * is in the other-users namespace but names no other account.
 */
export async function resolveName(s: ImapSession, decoded: string): Promise<ResolvedMailbox | null> {
  const name = normalizeName(decoded);
  const shared = splitShared(name);
  if (!shared) {
    const tree = await s.tree();
    const mailbox = tree.find(name);
    return { ownerId: s.accountId, mailbox, tree, path: name, prefix: "", rights: mailbox ? ALL_RIGHTS : "" };
  }
  const owner = await s.store.getAccountByAddress(shared.owner);
  if (!owner || owner.id === s.accountId) return null;
  const tree = new MailboxTree(await s.store.listMailboxes(owner.id));
  const path = normalizeName(shared.path);
  const mailbox = path === "" ? null : tree.find(path);
  const rights = mailbox ? await rightsOf(s.store, s.accountId, owner.id, mailbox.id) : "";
  return {
    ownerId: owner.id,
    mailbox,
    tree,
    path,
    prefix: `${OTHER_USERS}${DELIMITER}${owner.address}${DELIMITER}`,
    rights,
  };
}

/** One shared name for LIST: a mailbox with its rights, or a hierarchy node above them. */
export interface SharedListItem {
  /** The full name in the session's namespace. */
  name: string;
  /** The mailbox, null for a namespace or hierarchy node (\Noselect). */
  mailbox: Mailbox | null;
  /** True when visible names lie below this one. */
  hasChildren: boolean;
  /** The user's rights (mailboxes only). */
  rights: string;
}

/**
 * Every name of the other-users namespace the user may see (RFC 4314 §6: only mailboxes with the
 * lookup right, plus the nodes above them so that "%" browsing reaches them), in name order.
 */
export async function sharedListItems(s: ImapSession): Promise<SharedListItem[]> {
  const shared = await sharedWith(s.store, s.accountId);
  const items = new Map<string, SharedListItem>();
  const trees = new Map<string, MailboxTree>();
  for (const sh of shared) {
    let tree = trees.get(sh.owner.id);
    if (!tree) {
      tree = new MailboxTree(await s.store.listMailboxes(sh.owner.id));
      trees.set(sh.owner.id, tree);
    }
    const name = `${OTHER_USERS}${DELIMITER}${sh.owner.address}${DELIMITER}${tree.name(sh.mailbox)}`;
    const prev = items.get(name);
    items.set(name, {
      name,
      mailbox: sh.mailbox,
      hasChildren: prev?.hasChildren ?? false,
      rights: sh.rights,
    });
    for (let i = name.lastIndexOf(DELIMITER); i > 0; i = name.lastIndexOf(DELIMITER, i - 1)) {
      const up = name.slice(0, i);
      const node = items.get(up);
      if (node) node.hasChildren = true;
      else items.set(up, { name: up, mailbox: null, hasChildren: true, rights: "" });
    }
  }
  return [...items.values()].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}
