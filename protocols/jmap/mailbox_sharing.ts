/**
 * JMAP Sharing for mail (RFC 9670 over RFC 8621): the same RFC 4314 grants IMAP uses (core/acl),
 * seen as `myRights` and `shareWith` on Mailbox objects, and as shared accounts — another user's
 * account appears to a grantee as a non-personal account holding the mailboxes shared with them.
 *
 * @module
 */
import type { Account, AccountId, KeywordChange, MailboxId } from "../../core/store/types.ts";
import type { Store } from "../../core/store/store.ts";
import { type AclStore, mayGrantTo, setGrant, sharedWith } from "../../core/acl/access.ts";
import type { BlobReader } from "./blobs.ts";
import type { GrantChange, ShareNoticeStore } from "../../core/acl/share_notices.ts";
import { fullNames, sharedName } from "../../core/acl/operations.ts";
import { ALL_RIGHTS, canonical, hasRights, rightsForKeywords } from "../../core/acl/rights.ts";
import { ANYONE } from "../../core/store/records/mailbox_acl.ts";
import { invalidProperties, MethodError, SetErrorException } from "./errors.ts";
import type { MethodContext } from "./method_context.ts";

/** RFC 8621 §2 MailboxRights from RFC 4314 letters (RFC 8621 §2 maps each to the IMAP rights). */
export function mailboxRights(rights: string): Record<string, boolean> {
  return {
    mayReadItems: rights.includes("r"),
    mayAddItems: rights.includes("i"),
    mayRemoveItems: hasRights(rights, "te"),
    maySetSeen: rights.includes("s"),
    maySetKeywords: rights.includes("w"),
    mayCreateChild: rights.includes("k"),
    mayRename: rights.includes("x"),
    mayDelete: rights.includes("x"),
    maySubmit: rights.includes("p"),
  };
}

/** The rights object of one `shareWith` entry (RFC 9670 §4.2): MailboxRights plus mayAdmin. */
export function shareRights(rights: string): Record<string, boolean> {
  return { ...mailboxRights(rights), mayAdmin: rights.includes("a") };
}

/** The letters each `shareWith` right grants; any right also grants lookup ("l"). */
const SHARE_LETTERS: Readonly<Record<string, string>> = {
  mayReadItems: "r",
  mayAddItems: "i",
  mayRemoveItems: "te",
  maySetSeen: "s",
  maySetKeywords: "w",
  mayCreateChild: "k",
  mayRename: "x",
  mayDelete: "x",
  maySubmit: "p",
  mayAdmin: "a",
};

/** RFC 4314 letters from a `shareWith` rights object, or null when it is not one. */
export function lettersOf(value: unknown): string | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  let out = "";
  for (const [k, v] of Object.entries(value)) {
    if (!(k in SHARE_LETTERS) || typeof v !== "boolean") return null;
    if (v) out += SHARE_LETTERS[k];
  }
  return out === "" ? "" : canonical("l" + out);
}

/** What the logged-in user may see of an account: its own (every right), or a shared one. */
export interface AccountAccess {
  accountId: AccountId;
  /** True for the user's own account. */
  personal: boolean;
  /** Rights by mailbox id on a shared account (only mailboxes with "l"); null for the own one. */
  rights: Map<MailboxId, string> | null;
  /** The owner of a shared account (null for the own one). */
  owner: Account | null;
  /** The shared mailboxes the user subscribed to, once loaded (`subscribedShared`). */
  subscribed?: Set<MailboxId>;
}

/** The rights of a mailbox in an account the user reached through `access`. */
export function rightsIn(access: AccountAccess, mailboxId: MailboxId): string {
  return access.rights ? access.rights.get(mailboxId) ?? "" : ALL_RIGHTS;
}

/**
 * Resolves `accountId` to the user's own account or an account that shared at least one mailbox
 * with them; accountNotFound otherwise (RFC 8620 §3.6.2), exactly as for an unknown account.
 */
export async function accountAccess(
  args: Record<string, unknown>,
  ctx: MethodContext,
  argument = "accountId",
  notFound: "accountNotFound" | "fromAccountNotFound" = "accountNotFound",
): Promise<AccountAccess> {
  const accountId = args[argument];
  if (typeof accountId !== "string") throw new MethodError("invalidArguments", `${argument} is required.`);
  const access = await accessTo(ctx.services.server.store, ctx.account.id, accountId);
  if (!access) throw new MethodError(notFound);
  return access;
}

/**
 * The user's access to `accountId`: their own account, or one that shared at least one mailbox
 * with them; null otherwise (also for the upload and download URLs, RFC 8620 §6).
 */
export async function accessTo(
  store: AclStore,
  userId: AccountId,
  accountId: string,
): Promise<AccountAccess | null> {
  if (accountId === userId) return { accountId, personal: true, rights: null, owner: null };
  const rights = new Map<MailboxId, string>();
  let owner: Account | null = null;
  for (const s of await sharedWith(store, userId)) {
    if (s.owner.id !== accountId) continue;
    rights.set(s.mailbox.id, s.rights);
    owner = s.owner;
  }
  if (rights.size === 0 || !owner) return null;
  return { accountId, personal: false, rights, owner };
}

/** How `readBlob` reads in an account reached through `access`: undefined for the own account. */
export function blobReader(access: AccountAccess, userId: AccountId): BlobReader | undefined {
  return access.rights ? { userId, rights: access.rights } : undefined;
}

/** An account shared with the user, as the Session resource lists it. */
export interface SharedAccount {
  owner: Account;
  /** True when no shared mailbox lets the user change anything (RFC 8620 §2 isReadOnly). */
  readOnly: boolean;
}

/** The accounts that shared a mailbox with `accountId`, in owner address order. */
export async function sharedAccounts(
  store: Pick<Store, "mailboxAcl" | "getAccount" | "listMailboxes" | "organizations">,
  accountId: AccountId,
): Promise<SharedAccount[]> {
  const byOwner = new Map<AccountId, SharedAccount>();
  for (const s of await sharedWith(store, accountId)) {
    const entry = byOwner.get(s.owner.id) ?? { owner: s.owner, readOnly: true };
    if (/[iswtexk]/.test(s.rights)) entry.readOnly = false;
    byOwner.set(s.owner.id, entry);
  }
  return [...byOwner.values()].sort((a, b) => a.owner.address < b.owner.address ? -1 : 1);
}

/** A mailbox's `shareWith` (RFC 9670 §4.2): principal id → rights; "anyone" is not a principal. */
export async function shareWithOf(
  store: Pick<Store, "mailboxAcl">,
  ownerId: AccountId,
  mailboxId: MailboxId,
): Promise<Record<string, Record<string, boolean>> | null> {
  const out: Record<string, Record<string, boolean>> = {};
  for (const g of await store.mailboxAcl.list(ownerId, mailboxId)) {
    if (g.grantee !== ANYONE) out[g.grantee] = shareRights(g.rights);
  }
  return Object.keys(out).length === 0 ? null : out;
}

/**
 * Applies a Mailbox/set patch of `shareWith` (RFC 9670 §4.2): the whole map, or
 * `shareWith/<principalId>` entries (null removes). Principals are accounts other than the owner.
 */
export async function applyShareWith(
  store: Pick<Store, "mailboxAcl" | "getAccount" | "updateMailbox" | "organizations"> & ShareNoticeStore,
  ownerId: AccountId,
  mailboxId: MailboxId,
  patch: Record<string, unknown>,
  change: GrantChange,
): Promise<void> {
  const changes = new Map<string, string>();
  const bad = () => invalidProperties(["shareWith"], "Invalid shareWith.");
  if ("shareWith" in patch) {
    const whole = patch.shareWith;
    if (whole !== null && (typeof whole !== "object" || Array.isArray(whole))) throw bad();
    for (const g of await store.mailboxAcl.list(ownerId, mailboxId)) {
      if (g.grantee !== ANYONE) changes.set(g.grantee, "");
    }
    for (const [id, v] of Object.entries(whole ?? {})) {
      const letters = lettersOf(v);
      if (letters === null) throw bad();
      changes.set(id, letters);
    }
  }
  for (const [path, v] of Object.entries(patch)) {
    if (!path.startsWith("shareWith/")) continue;
    const id = path.slice("shareWith/".length);
    const letters = v === null ? "" : lettersOf(v);
    if (letters === null || id.includes("/")) throw bad();
    changes.set(id, letters);
  }
  for (const id of changes.keys()) {
    // RFC 9670 §2: a principal the owner may share with (their organization, core/acl).
    if (id === ownerId || !(await store.getAccount(id)) || !(await mayGrantTo(store, ownerId, id))) {
      throw invalidProperties(["shareWith"], `Unknown principal "${id}".`);
    }
  }
  // RFC 9670 §5: each grantee whose rights change is notified (core/acl/share_notices.ts).
  for (const [id, letters] of changes) await setGrant(store, ownerId, mailboxId, id, letters, change);
}

/** Splits `shareWith` and `shareWith/…` entries off a Mailbox/set patch. */
export function splitShareWith(
  patch: Record<string, unknown>,
): { rest: Record<string, unknown>; share: Record<string, unknown> | null } {
  const rest: Record<string, unknown> = {};
  let share: Record<string, unknown> | null = null;
  for (const [k, v] of Object.entries(patch)) {
    if (k === "shareWith" || k.startsWith("shareWith/")) (share ??= {})[k] = v;
    else rest[k] = v;
  }
  return { rest, share };
}

/** The mailboxes of a shared account the user may read ("r"); every one for the own account. */
export function readableIn(access: AccountAccess): MailboxId[] {
  return access.rights ? [...access.rights].filter(([, r]) => r.includes("r")).map(([id]) => id) : [];
}

/**
 * A message as the user may see it: in a shared account only when it lies in a mailbox they may
 * read, and with only the mailboxes they may look up in `mailboxIds`; undefined otherwise.
 */
export function visibleMessage<M extends { mailboxIds: MailboxId[] }>(
  access: AccountAccess,
  m: M | undefined,
): M | undefined {
  if (!m || !access.rights) return m;
  const rights = access.rights;
  if (!m.mailboxIds.some((id) => rights.get(id)?.includes("r"))) return undefined;
  return { ...m, mailboxIds: m.mailboxIds.filter((id) => rights.has(id)) };
}

/**
 * Checks an Email/set change on a shared account against the rights (RFC 8621 §2 MailboxRights,
 * from RFC 4314): the message must lie in a mailbox the user may read; $seen needs "s" and other
 * keywords "w" in every mailbox holding the message; a mailbox added needs "i", one removed "t"
 * and "e". Returns the mailbox list to store: the requested one over the mailboxes the user can
 * see, plus those they cannot (left as they are). Throws the SetError otherwise.
 */
export function checkSharedEmailChange(
  rights: ReadonlyMap<MailboxId, string>,
  current: { mailboxIds: readonly MailboxId[]; keywords: readonly string[] },
  keywords: KeywordChange | null,
  mailboxes: readonly MailboxId[] | null,
): MailboxId[] | null {
  if (!current.mailboxIds.some((id) => rights.get(id)?.includes("r"))) {
    throw new SetErrorException("notFound");
  }
  const forbidden = (what: string) => new SetErrorException("forbidden", `The rights do not allow ${what}.`);
  if (keywords) {
    const touched = "set" in keywords
      ? [...new Set([...keywords.set, ...current.keywords])].filter((k) =>
        keywords.set.includes(k) !== current.keywords.includes(k)
      )
      : [...(keywords.add ?? []), ...(keywords.remove ?? [])];
    const needed = rightsForKeywords(touched);
    if (!current.mailboxIds.every((id) => hasRights(rights.get(id) ?? "", needed))) {
      throw forbidden("changing these keywords");
    }
  }
  if (!mailboxes) return null;
  const wanted = new Set(mailboxes);
  for (const id of wanted) {
    if (current.mailboxIds.includes(id)) continue;
    if (!rights.has(id)) throw invalidProperties(["mailboxIds"], `Unknown mailbox "${id}".`);
    if (!rights.get(id)!.includes("i")) throw forbidden("adding to it");
  }
  for (const id of current.mailboxIds) {
    if (rights.has(id) && !wanted.has(id) && !hasRights(rights.get(id)!, "te")) {
      throw forbidden("removing from it");
    }
  }
  // Mailboxes the user cannot see keep the message whatever the request says.
  const hidden = current.mailboxIds.filter((id) => !rights.has(id));
  return [...new Set([...wanted, ...hidden])];
}

/** Checks that an Email may be destroyed in a shared account: "t" and "e" in all its mailboxes. */
export function checkSharedEmailDestroy(
  rights: ReadonlyMap<MailboxId, string>,
  current: { mailboxIds: readonly MailboxId[] },
): void {
  if (!current.mailboxIds.some((id) => rights.get(id)?.includes("r"))) {
    throw new SetErrorException("notFound");
  }
  if (!current.mailboxIds.every((id) => hasRights(rights.get(id) ?? "", "te"))) {
    throw new SetErrorException("forbidden", "The rights do not allow removing the message.");
  }
}

/** Checks an Email/set or Email/import create on a shared account: "i" (and the keyword rights). */
export function checkSharedEmailCreate(
  rights: ReadonlyMap<MailboxId, string>,
  mailboxIds: readonly MailboxId[],
  keywords: readonly string[],
): void {
  const needed = "i" + rightsForKeywords(keywords);
  for (const id of mailboxIds) {
    if (!rights.has(id)) throw invalidProperties(["mailboxIds"], `Unknown mailbox "${id}".`);
    if (!hasRights(rights.get(id)!, needed)) {
      throw new SetErrorException("forbidden", "The rights do not allow adding the message.");
    }
  }
}

/**
 * The shared mailboxes the user subscribed to (RFC 9670 §4: isSubscribed is the user's own): their
 * subscriptions are kept under the names IMAP shows (`Other Users/<owner>/<name>`).
 */
export async function subscribedShared(
  store: Pick<Store, "subscriptions" | "listMailboxes">,
  userId: AccountId,
  access: AccountAccess,
): Promise<Set<MailboxId>> {
  const out = new Set<MailboxId>();
  if (!access.owner || !access.rights) return out;
  const names = new Set(await store.subscriptions.list(userId));
  for (const [id, name] of fullNames(await store.listMailboxes(access.accountId))) {
    if (access.rights.has(id) && names.has(sharedName(access.owner.address, name))) out.add(id);
  }
  return out;
}

/** Subscribes the user to a shared mailbox, or unsubscribes them (RFC 9670 §4 isSubscribed). */
export async function setSharedSubscription(
  store: Pick<Store, "subscriptions" | "listMailboxes">,
  userId: AccountId,
  access: AccountAccess,
  mailboxId: MailboxId,
  value: boolean,
): Promise<void> {
  const name = fullNames(await store.listMailboxes(access.accountId)).get(mailboxId);
  if (!access.owner || name === undefined) throw new SetErrorException("notFound");
  const shared = sharedName(access.owner.address, name);
  if (value) await store.subscriptions.add(userId, shared);
  else await store.subscriptions.remove(userId, shared);
}
