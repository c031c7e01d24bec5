/**
 * Mailbox management in the authenticated state: ENABLE (RFC 5161), NAMESPACE (RFC 2342), CREATE
 * with SPECIAL-USE (RFC 6154), DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST with LIST-EXTENDED,
 * LIST-STATUS and SPECIAL-USE (RFC 5258, 5819, 6154), LSUB and STATUS (RFC 9051 §6.3).
 *
 * @module
 */
import type { Mailbox, MailboxRole } from "../../../core/store/types.ts";
import { Args, atomList } from "../parser/args.ts";
import { bad, no, ok } from "../errors.ts";
import type { ImapSession } from "../session_types.ts";
import { DELIMITER, type MailboxTree, normalizeName, patternToRegExp } from "../mailbox_names.ts";
import type { Token } from "../parser/tokens.ts";
import { AUTH, type CommandSpec } from "./types.ts";
import { encodeMutf7 } from "../format/mutf7.ts";
import { requireRights } from "../../../core/acl/access.ts";
import { ALL_RIGHTS, formatRights } from "../../../core/acl/rights.ts";
import { StoreError } from "../../../core/store/types.ts";
import { OTHER_USERS, resolveName, sharedListItems, splitShared } from "./acl_names.ts";
import { createShared, renameShared } from "./acl_mailbox.ts";

const ROLE_ATTR: Record<string, string> = {
  drafts: "\\Drafts",
  sent: "\\Sent",
  junk: "\\Junk",
  trash: "\\Trash",
  archive: "\\Archive",
};
const ATTR_ROLE: Record<string, MailboxRole> = {
  "\\drafts": "drafts",
  "\\sent": "sent",
  "\\junk": "junk",
  "\\trash": "trash",
  "\\archive": "archive",
};

/** ENABLE (RFC 5161, RFC 9051 §6.3.1). */
export const enable: CommandSpec = {
  states: AUTH,
  async handle(s, cmd) {
    const a = new Args(cmd.args);
    const names: string[] = [];
    names.push(a.atom("capability"));
    while (!a.done) names.push(a.atom("capability"));
    const newly: string[] = [];
    for (const n of names) {
      const up = n.toUpperCase();
      if (
        (up === "IMAP4REV2" || up === "UTF8=ACCEPT" || up === "CONDSTORE" || up === "QRESYNC") &&
        !s.enabled.has(up)
      ) {
        s.enabled.add(up);
        newly.push(up === "IMAP4REV2" ? "IMAP4rev2" : up);
        // RFC 7162 §3.2.3: QRESYNC implies CONDSTORE.
        if (up === "QRESYNC") s.enabled.add("CONDSTORE");
      }
    }
    await s.out.line(`* ENABLED${newly.map((n) => " " + n).join("")}`);
    return ok("ENABLE completed");
  },
};

/** NAMESPACE (RFC 2342): the personal namespace and the other-users one (RFC 4314 §6). */
export const namespace: CommandSpec = {
  states: AUTH,
  async handle(s, cmd) {
    new Args(cmd.args).end();
    await s.out.line(`* NAMESPACE (("" "${DELIMITER}")) (("${OTHER_USERS}${DELIMITER}" "${DELIMITER}")) NIL`);
    return ok("NAMESPACE completed");
  },
};

/** Splits a full name into components, validating them. */
function components(name: string): string[] {
  let n = normalizeName(name);
  if (n.endsWith(DELIMITER)) n = n.slice(0, -1);
  const parts = n.split(DELIMITER);
  if (n.length === 0 || parts.some((p) => p.length === 0 || p.length > 255) || parts.length > 32) {
    throw no("Invalid mailbox name", "CANNOT");
  }
  // deno-lint-ignore no-control-regex -- control characters are exactly what is refused here
  if (/[\x00-\x1f\x7f*%]/.test(n)) throw no("Invalid characters in mailbox name", "CANNOT");
  return parts;
}

/** Finds or creates every parent of `parts` (all but the last) and returns the parent id. */
async function ensureParents(s: ImapSession, tree: MailboxTree, parts: string[]): Promise<string | null> {
  let parentId: string | null = null;
  for (let i = 0; i < parts.length - 1; i++) {
    const path = parts.slice(0, i + 1).join(DELIMITER);
    const existing = tree.find(path);
    if (existing) {
      parentId = existing.id;
      continue;
    }
    const created: Mailbox = await s.store.createMailbox(s.accountId, {
      name: parts[i]!,
      parentId,
      subscribed: true,
    });
    parentId = created.id;
  }
  return parentId;
}

/**
 * Resolves a mailbox argument, personal or in the other-users namespace, and checks that the user
 * holds the `needed` rights (RFC 4314 §4). NO [NONEXISTENT] (or TRYCREATE) when absent or when the
 * user may not look it up (RFC 4314 §6: indistinguishable), NO [NOPERM] when a right is missing.
 */
export async function requireMailbox(
  s: ImapSession,
  rawName: string,
  tryCreate = false,
  needed = "",
): Promise<{ mailbox: Mailbox; name: string; tree: MailboxTree; ownerId: string; rights: string }> {
  const r = await resolveName(s, s.decodeName(rawName));
  const missing = () =>
    tryCreate ? no("Mailbox does not exist", "TRYCREATE") : no("Mailbox does not exist", "NONEXISTENT");
  // RFC 4314 §6: a mailbox the user holds no right on does not exist for them.
  if (!r?.mailbox || r.rights === "") throw missing();
  try {
    requireRights(r.rights, needed);
  } catch (e) {
    if (e instanceof StoreError && e.code === "notFound") throw missing();
    throw no("Permission denied", "NOPERM");
  }
  const mailbox = r.mailbox;
  return {
    mailbox,
    name: r.prefix + r.tree.name(mailbox),
    tree: r.tree,
    ownerId: r.ownerId,
    rights: r.rights,
  };
}

/** CREATE (RFC 9051 §6.3.4, RFC 6154 §3). */
export const create: CommandSpec = {
  states: AUTH,
  async handle(s, cmd) {
    const a = new Args(cmd.args);
    const raw = a.astring("mailbox name");
    let role: MailboxRole | null = null;
    const opts = a.optionalList();
    if (opts) {
      const items = opts.items;
      for (let i = 0; i < items.length; i++) {
        const t = items[i]!;
        if (t.type !== "atom" || t.value.toUpperCase() !== "USE") throw bad("Unknown CREATE parameter");
        const uses = items[++i];
        if (uses?.type !== "list") throw bad("Expected USE list");
        for (const u of atomList(uses)) {
          const r = ATTR_ROLE[u.toLowerCase()];
          if (!r) throw no(`Unsupported special use ${u}`, "USEATTR");
          role = r;
        }
      }
    }
    a.end();
    const parts = components(s.decodeName(raw));
    // RFC 4314 §4: in the other-users namespace, CREATE needs "k" on the parent.
    if (splitShared(parts.join(DELIMITER))) return await createShared(s, parts);
    const tree = await s.tree();
    const full = parts.join(DELIMITER);
    if (tree.find(full)) throw no("Mailbox already exists", "ALREADYEXISTS");
    const parentId = await ensureParents(s, tree, parts);
    const created = await s.store.createMailbox(s.accountId, {
      name: parts[parts.length - 1]!,
      parentId,
      role,
      subscribed: true,
    });
    // The new mailbox carries the subscription a deleted one of that name left behind.
    await s.store.subscriptions.remove(s.accountId, full);
    // RFC 8474 §4.1: CREATE reports the new mailbox's id.
    return ok("CREATE completed", `MAILBOXID (${created.id})`);
  },
};

/** DELETE (RFC 9051 §6.3.5). */
export const del: CommandSpec = {
  states: AUTH,
  async handle(s, cmd) {
    const a = new Args(cmd.args);
    const raw = a.astring("mailbox name");
    a.end();
    // RFC 4314 §4: DELETE needs "x".
    const { mailbox, tree, ownerId } = await requireMailbox(s, raw, false, "x");
    if (mailbox.role === "inbox") throw no("INBOX cannot be deleted", "CANNOT");
    // RFC 9051 §6.3.5: a server that refuses to delete a name with inferior names says so with
    // NO [HASCHILDREN] (§7.1); it does not turn the name into a \Noselect placeholder.
    if (tree.hasChildren(mailbox)) throw no("Mailbox has children, delete them first", "HASCHILDREN");
    if (s.view?.mailbox.id === mailbox.id) s.setView(null);
    await s.store.deleteMailbox(ownerId, mailbox.id, { removeMessages: true });
    await s.store.mailboxAcl.removeMailbox(ownerId, mailbox.id);
    // RFC 5464 §3.2: a deleted mailbox's metadata goes with it (a new one of that name has none).
    await s.store.metadata.removeMailbox(ownerId, mailbox.id);
    // RFC 9051 §6.3.7: the name stays subscribed; LIST (SUBSCRIBED) shows it \NonExistent.
    if (mailbox.subscribed && ownerId === s.accountId) {
      await s.store.subscriptions.add(s.accountId, tree.name(mailbox));
    }
    return ok("DELETE completed");
  },
};

/** RENAME (RFC 9051 §6.3.6), including the INBOX special case. */
export const rename: CommandSpec = {
  states: AUTH,
  async handle(s, cmd) {
    const a = new Args(cmd.args);
    const rawFrom = a.astring("mailbox name");
    const rawTo = a.astring("new mailbox name");
    a.end();
    const { mailbox, tree, ownerId } = await requireMailbox(s, rawFrom, false, "x");
    const parts = components(s.decodeName(rawTo));
    // RFC 4314 §4: another user's mailbox is renamed within their namespace, with "k" on the new
    // parent (acl_mailbox.ts); nothing moves across namespaces.
    if (ownerId !== s.accountId) {
      return await renameShared(s, { mailbox, tree, ownerId }, parts.join(DELIMITER));
    }
    if (splitShared(parts.join(DELIMITER))) throw no("Cannot rename across namespaces", "CANNOT");
    const full = parts.join(DELIMITER);
    // RFC 9051 §6.3.6: renaming to a name that exists is an error, the mailbox's own name included
    // (as Dovecot answers); a name that differs only in case is another name.
    if (tree.find(full)) throw no("Target mailbox already exists", "ALREADYEXISTS");
    if (full.startsWith(tree.name(mailbox) + DELIMITER)) {
      throw no("Cannot move a mailbox into itself", "CANNOT");
    }
    const parentId = await ensureParents(s, tree, parts);
    const leaf = parts[parts.length - 1]!;
    if (mailbox.role === "inbox") {
      // RFC 9051 §6.3.6: renaming INBOX moves its messages to the new mailbox; INBOX stays, empty.
      const target = await s.store.createMailbox(s.accountId, { name: leaf, parentId, subscribed: true });
      const uids = (await s.store.listPlacements(s.accountId, mailbox.id)).map((p) => p.uid);
      for (let i = 0; i < uids.length; i += 1000) {
        await s.store.moveMessages(s.accountId, mailbox.id, uids.slice(i, i + 1000), target.id);
      }
      return ok("RENAME completed");
    }
    await s.store.updateMailbox(s.accountId, mailbox.id, { name: leaf, parentId });
    return ok("RENAME completed");
  },
};

function subscription(value: boolean): CommandSpec {
  return {
    states: AUTH,
    async handle(s, cmd) {
      const a = new Args(cmd.args);
      const raw = a.astring("mailbox name");
      a.end();
      const name = normalizeName(s.decodeName(raw));
      if (splitShared(name)) {
        // RFC 4314 §6: a shared mailbox is subscribed by name, once the user may look it up.
        const r = await resolveName(s, name);
        if (value && !(r?.mailbox && r.rights.includes("l"))) {
          throw no("Mailbox does not exist", "NONEXISTENT");
        }
        if (value) await s.store.subscriptions.add(s.accountId, name);
        else await s.store.subscriptions.remove(s.accountId, name);
        return ok(`${cmd.name} completed`);
      }
      const mailbox = (await s.tree()).find(name);
      // A subscription that outlived its mailbox goes with UNSUBSCRIBE (or a new SUBSCRIBE of the
      // mailbox now there).
      await s.store.subscriptions.remove(s.accountId, name);
      if (!mailbox) {
        // RFC 9051 §6.3.8: unsubscribing a name that does not exist is not an error for us to report.
        if (!value) return ok("UNSUBSCRIBE completed");
        throw no("Mailbox does not exist", "NONEXISTENT");
      }
      await s.store.updateMailbox(s.accountId, mailbox.id, { subscribed: value });
      return ok(`${cmd.name} completed`);
    },
  };
}

/** SUBSCRIBE. */
export const subscribe: CommandSpec = subscription(true);
/** UNSUBSCRIBE. */
export const unsubscribe: CommandSpec = subscription(false);

/** STATUS data items we support (RFC 9051 §6.3.11, RFC 8438 SIZE). */
const STATUS_ITEMS = new Set([
  "MESSAGES",
  "UIDNEXT",
  "UIDVALIDITY",
  "UNSEEN",
  "DELETED",
  "SIZE",
  "RECENT",
  "HIGHESTMODSEQ",
  "MAILBOXID",
]);

function statusItems(list: Token[]): string[] {
  const items = list.map((t) => {
    if (t.type !== "atom") throw bad("Invalid STATUS item");
    const up = t.value.toUpperCase();
    if (!STATUS_ITEMS.has(up)) throw bad(`Unknown STATUS item ${t.value}`);
    return up;
  });
  if (items.length === 0) throw bad("Empty STATUS item list");
  // An item asked twice is answered once (as Dovecot answers): each status-att names one value.
  return [...new Set(items)];
}

/** Number of messages above the mailbox's \Recent claim (RFC 3501 §2.3.2). */
async function unclaimedRecent(s: ImapSession, mailbox: Mailbox): Promise<number> {
  const claimed = await s.store.claimRecent(mailbox.accountId, mailbox.id);
  return (await s.store.listPlacements(mailbox.accountId, mailbox.id, { minUid: claimed + 1 })).length;
}

/** Formats `* STATUS name (...)` for a mailbox. */
export async function statusLine(
  s: ImapSession,
  mailbox: Mailbox,
  name: string,
  items: string[],
): Promise<string> {
  // The owner's account: the user's own, or another one for a shared mailbox (RFC 4314).
  const counts = await s.store.mailboxCounts(mailbox.accountId, mailbox.id);
  const fresh = await s.store.getMailbox(mailbox.accountId, mailbox.id) ?? mailbox;
  const values: string[] = [];
  for (const item of items) {
    switch (item) {
      case "MESSAGES":
        values.push(`MESSAGES ${counts.total}`);
        break;
      case "UIDNEXT":
        values.push(`UIDNEXT ${fresh.uidNext}`);
        break;
      case "UIDVALIDITY":
        values.push(`UIDVALIDITY ${fresh.uidValidity}`);
        break;
      case "UNSEEN":
        values.push(`UNSEEN ${counts.unread}`);
        break;
      case "DELETED":
        values.push(`DELETED ${counts.deleted}`);
        break;
      case "SIZE":
        values.push(`SIZE ${counts.size}`);
        break;
      case "MAILBOXID":
        values.push(`MAILBOXID (${mailbox.id})`);
        break;
      case "HIGHESTMODSEQ":
        // RFC 7162 §3.1.8; asking for it enables CONDSTORE.
        s.enabled.add("CONDSTORE");
        values.push(`HIGHESTMODSEQ ${fresh.highestModseq}`);
        break;
      case "RECENT":
        // RFC 3501 §6.3.10: messages no session has claimed as \Recent yet (rev2 has no RECENT).
        if (!s.rev2) values.push(`RECENT ${await unclaimedRecent(s, mailbox)}`);
        break;
    }
  }
  return `* STATUS ${s.encodeName(name)} (${values.join(" ")})`;
}

/** STATUS. */
export const status: CommandSpec = {
  states: AUTH,
  async handle(s, cmd) {
    const a = new Args(cmd.args);
    const raw = a.astring("mailbox name");
    const items = statusItems(a.list("status items").items);
    a.end();
    // RFC 4314 §4: STATUS needs "r".
    const { mailbox, name } = await requireMailbox(s, raw, false, "r");
    await s.out.line(await statusLine(s, mailbox, name, items));
    return ok("STATUS completed");
  },
};

function patternList(t: Token): string[] {
  if (t.type === "list") {
    return t.items.map((x) => {
      if (x.type === "list") throw bad("Invalid pattern");
      return x.value;
    });
  }
  return [t.value];
}

function sortNames(a: string, b: string): number {
  if (a === "INBOX") return -1;
  if (b === "INBOX") return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Decodes a LIST/LSUB reference or pattern, or null when it is not valid modified UTF-7. Patterns
 * are not mailbox names: any atom characters are allowed (RFC 9051 §6.3.9), so such a pattern (a
 * bare "&") is answered, matched against the names as they are sent (encoded), not refused.
 */
function decodePattern(s: ImapSession, raw: string): string | null {
  try {
    return s.decodeName(raw);
  } catch {
    return null;
  }
}

/** A name matcher for LIST/LSUB patterns (RFC 9051 §6.3.9). */
function patternMatcher(s: ImapSession, reference: string, patterns: string[]): (name: string) => boolean {
  const ref = decodePattern(s, reference);
  const tests = patterns.map((p): (name: string) => boolean => {
    const decoded = decodePattern(s, p);
    if (ref !== null && decoded !== null) {
      const re = patternToRegExp(ref, decoded);
      // RFC 9051 §5.1: the name INBOX is case-insensitive, so any pattern may match it so ("*x*").
      const inbox = patternToRegExp(ref, decoded, "is");
      return (name) => name === "INBOX" ? inbox.test(name) : re.test(name);
    }
    // Not modified UTF-7: compare with the encoded names, as they appear on the wire.
    const re = patternToRegExp(reference, p);
    return (name) => re.test(encodeMutf7(name));
  });
  return (name) => tests.some((t) => t(name));
}

/** The proper ancestors of a full name, nearest first ("a/b/c" → "a/b", "a"). */
function ancestors(name: string): string[] {
  const out: string[] = [];
  for (let i = name.lastIndexOf(DELIMITER); i > 0; i = name.lastIndexOf(DELIMITER, i - 1)) {
    out.push(name.slice(0, i));
  }
  return out;
}

/** One line of a LIST/LSUB answer before formatting. */
interface ListEntry {
  name: string;
  mailbox: Mailbox | null;
  attrs: string[];
  childInfo: boolean;
  /** The user's rights, for a mailbox in the other-users namespace (RFC 4314). */
  rights?: string;
}

async function list(s: ImapSession, args: Token[], lsub: boolean): Promise<void> {
  const a = new Args(args);
  const selection = new Set<string>();
  const ret = new Set<string>();
  let statusReq: string[] | null = null;
  let extended = false;
  if (!lsub) {
    const sel = a.optionalList();
    if (sel) {
      extended = true;
      for (const o of atomList(sel)) {
        const up = o.toUpperCase();
        if (!["SUBSCRIBED", "REMOTE", "RECURSIVEMATCH", "SPECIAL-USE"].includes(up)) {
          throw bad(`Unknown LIST selection option ${o}`);
        }
        selection.add(up);
      }
      // RFC 5258 §3: RECURSIVEMATCH must not be the only selection option, nor only with REMOTE.
      if (selection.has("RECURSIVEMATCH") && !selection.has("SUBSCRIBED") && !selection.has("SPECIAL-USE")) {
        throw bad("RECURSIVEMATCH must not be the only selection option", "CLIENTBUG");
      }
    }
  }
  const reference = a.astring("reference");
  const patternsTok = a.next("mailbox pattern");
  const patterns = patternList(patternsTok);
  if (patternsTok.type === "list") extended = true;
  if (!lsub && !a.done) {
    if (a.atom("RETURN").toUpperCase() !== "RETURN") throw bad("Expected RETURN");
    const r = a.list("return options").items;
    extended = true;
    for (let i = 0; i < r.length; i++) {
      const t = r[i]!;
      if (t.type !== "atom") throw bad("Invalid return option");
      const up = t.value.toUpperCase();
      if (up === "STATUS") {
        const l = r[++i];
        if (l?.type !== "list") throw bad("Expected STATUS items");
        statusReq = statusItems(l.items);
      } else if (["SUBSCRIBED", "CHILDREN", "SPECIAL-USE", "MYRIGHTS"].includes(up)) {
        // MYRIGHTS: RFC 8440 §3.
        ret.add(up);
      } else {
        throw bad(`Unknown LIST return option ${t.value}`);
      }
    }
  }
  a.end();
  if (!lsub && !extended && patterns.length === 1 && patterns[0] === "") {
    // RFC 9051 §6.3.9: an empty pattern asks for the delimiter and the root of the reference: up
    // to its first delimiter ("a/b" → "a/"), or "" when it has none (as Dovecot answers).
    const cut = reference.indexOf(DELIMITER);
    const root = cut < 0 ? "" : reference.slice(0, cut + 1);
    await s.out.line(
      `* LIST (\\Noselect) "${DELIMITER}" ${
        root === "" ? '""' : s.encodeName(decodePattern(s, root) ?? root)
      }`,
    );
    return;
  }
  const matches = patternMatcher(s, reference, patterns);
  const tree = await s.tree();
  const subscribed = new Set(tree.mailboxes.filter((m) => m.subscribed).map((m) => tree.name(m)));
  // Subscribed names whose mailbox is gone (RFC 5258 §3.4 \NonExistent).
  // The other-users namespace (RFC 4314 §6): its names are subscribed by name, like orphans.
  const shared = await sharedListItems(s);
  const sharedNames = new Set(shared.filter((i) => i.mailbox).map((i) => i.name));
  const orphans = (await s.store.subscriptions.list(s.accountId)).filter((n) => !tree.find(n));
  for (const n of orphans) subscribed.add(n);
  const entries: ListEntry[] = [];
  if (lsub) {
    // RFC 3501 §6.3.9: subscribed names that match; with a "%" pattern, a name that does not
    // match but whose ancestor does (the "%" stopping above it) makes that ancestor appear,
    // \Noselect unless it is subscribed itself (then it is listed anyway).
    const implied = new Set<string>();
    const percent = (reference + patterns.join("")).includes("%");
    for (const name of subscribed) {
      if (matches(name)) {
        entries.push({ name, mailbox: tree.find(name), attrs: [], childInfo: false });
        continue;
      }
      if (!percent) continue;
      const up = ancestors(name).find((p) => matches(p));
      if (up !== undefined && !subscribed.has(up)) implied.add(up);
    }
    for (const name of implied) {
      entries.push({ name, mailbox: tree.find(name), attrs: ["\\Noselect"], childInfo: false });
    }
  } else {
    const wantSubscribed = selection.has("SUBSCRIBED");
    const showSubscribed = wantSubscribed || ret.has("SUBSCRIBED");
    // Names with a subscribed descendant (RFC 5258 §3.5 CHILDINFO with RECURSIVEMATCH).
    const subscribedAbove = new Set<string>();
    if (wantSubscribed && selection.has("RECURSIVEMATCH")) {
      // RFC 5258 §3.5: only descendants the pattern itself does not return make a CHILDINFO.
      for (const name of subscribed) {
        if (!matches(name)) { for (const p of ancestors(name)) subscribedAbove.add(p); }
      }
    }
    for (const m of tree.mailboxes) {
      const name = tree.name(m);
      if (!matches(name)) continue;
      const childInfo = subscribedAbove.has(name);
      if (wantSubscribed && !m.subscribed && !childInfo) continue;
      if (selection.has("SPECIAL-USE") && (!m.role || m.role === "inbox")) continue;
      const attrs: string[] = [];
      attrs.push(tree.hasChildren(m) ? "\\HasChildren" : "\\HasNoChildren");
      if (m.role && ROLE_ATTR[m.role]) attrs.push(ROLE_ATTR[m.role]!);
      if (showSubscribed && m.subscribed) attrs.push("\\Subscribed");
      entries.push({ name, mailbox: m, attrs, childInfo });
    }
    if (wantSubscribed && !selection.has("SPECIAL-USE")) {
      for (const name of orphans) {
        if (!matches(name) || sharedNames.has(name)) continue;
        const attrs = ["\\Subscribed", "\\NonExistent"];
        if (ret.has("CHILDREN")) attrs.push("\\HasNoChildren");
        entries.push({ name, mailbox: null, attrs, childInfo: subscribedAbove.has(name) });
      }
      // RFC 5258 §3.5: a parent of subscribed names that exists neither as a mailbox nor as a
      // subscription is still reported, \NonExistent, with its CHILDINFO.
      for (const name of subscribedAbove) {
        if (!matches(name) || tree.find(name) || subscribed.has(name)) continue;
        entries.push({ name, mailbox: null, attrs: ["\\NonExistent"], childInfo: true });
      }
    }
  }
  if (!lsub && !selection.has("SPECIAL-USE")) {
    // RFC 4314 §6, RFC 2342 §5: the other-users namespace shows only what the user may look up.
    const wantSubscribed = selection.has("SUBSCRIBED");
    for (const item of shared) {
      if (!matches(item.name)) continue;
      const isSubscribed = item.mailbox !== null && subscribed.has(item.name);
      if (wantSubscribed && !isSubscribed) continue;
      const attrs = [item.hasChildren ? "\\HasChildren" : "\\HasNoChildren"];
      if (!item.mailbox) attrs.unshift("\\Noselect");
      if (isSubscribed && (wantSubscribed || ret.has("SUBSCRIBED"))) attrs.push("\\Subscribed");
      entries.push({ name: item.name, mailbox: item.mailbox, attrs, childInfo: false, rights: item.rights });
    }
  }
  entries.sort((x, y) => sortNames(x.name, y.name));
  for (const e of entries) {
    const extra = e.childInfo ? ' ("CHILDINFO" ("SUBSCRIBED"))' : "";
    await s.out.line(
      `* ${lsub ? "LSUB" : "LIST"} (${e.attrs.join(" ")}) "${DELIMITER}" ${s.encodeName(e.name)}${extra}`,
    );
    // RFC 8440 §3: the user's rights follow each mailbox's LIST response.
    if (ret.has("MYRIGHTS") && e.mailbox) {
      await s.out.line(`* MYRIGHTS ${s.encodeName(e.name)} ${formatRights(e.rights ?? ALL_RIGHTS)}`);
    }
    // RFC 5819 §2 with RFC 4314 §4: STATUS only where the user may read.
    if (statusReq && e.mailbox && (e.rights ?? "r").includes("r")) {
      await s.out.line(await statusLine(s, e.mailbox, e.name, statusReq));
    }
  }
}

/** LIST. */
export const listCommand: CommandSpec = {
  states: AUTH,
  async handle(s, cmd) {
    await list(s, cmd.args, false);
    return ok("LIST completed");
  },
};

/** LSUB (RFC 3501 §6.3.9; kept for rev1 clients). */
export const lsub: CommandSpec = {
  states: AUTH,
  async handle(s, cmd) {
    await list(s, cmd.args, true);
    return ok("LSUB completed");
  },
};
