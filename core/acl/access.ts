/**
 * Effective rights of an account on a mailbox (RFC 4314 §2): the one place IMAP, JMAP and the CLI
 * ask what a user may do. The owner holds every right; anyone else holds the union of the grants
 * made to them and to "anyone". Without the lookup right a mailbox does not exist for the asker
 * (RFC 4314 §4: no way to learn of it), so `requireRights` then fails exactly as for a missing one.
 *
 * @module
 */
import type { Account, AccountId, Mailbox, MailboxId } from "../store/types.ts";
import { StoreError } from "../store/types.ts";
import type { Store } from "../store/store.ts";
import { ANYONE, type MailboxGrant } from "../store/records/mailbox_acl.ts";
import { ALL_RIGHTS, hasAnyRight, hasRights, unionRights } from "./rights.ts";
import { type GrantChange, noticeGrantChange, type ShareNoticeStore } from "./share_notices.ts";

/** The store services this module needs. */
export type AclStore = Pick<Store, "mailboxAcl" | "getAccount" | "listMailboxes" | "organizations">;

/**
 * Whether a grant to "anyone" of `ownerId` reaches `accountId`: on a server hosting several
 * organizations (core/tenancy), "anyone" means every user of the owner's organization, never
 * another tenant's users.
 */
async function anyoneReaches(
  store: Pick<Store, "organizations">,
  accountId: AccountId,
  ownerId: AccountId,
): Promise<boolean> {
  const [mine, theirs] = await Promise.all([
    store.organizations.orgOfAccount(accountId),
    store.organizations.orgOfAccount(ownerId),
  ]);
  return mine !== null && mine === theirs;
}

/**
 * Whether `ownerId` may grant rights to `granteeId` from IMAP or JMAP: only within the owner's
 * organization (core/tenancy), so no tenant shares with, or learns of, another tenant's users.
 * The administrator's `tern share` is not bound by this.
 */
export async function mayGrantTo(
  store: Pick<Store, "organizations">,
  ownerId: AccountId,
  granteeId: AccountId,
): Promise<boolean> {
  return await anyoneReaches(store, granteeId, ownerId);
}

/** The rights `accountId` holds on `ownerId`'s mailbox `mailboxId` (RFC 4314 §2). */
export async function rightsOf(
  store: Pick<Store, "mailboxAcl" | "organizations">,
  accountId: AccountId,
  ownerId: AccountId,
  mailboxId: MailboxId,
): Promise<string> {
  if (accountId === ownerId) return ALL_RIGHTS;
  const grants = await store.mailboxAcl.list(ownerId, mailboxId);
  const anyone = grants.some((g) => g.grantee === ANYONE) && await anyoneReaches(store, accountId, ownerId);
  return effective(grants, accountId, anyone);
}

/** The union of the grants that apply to `accountId` (its own, and "anyone"'s when `anyone`). */
export function effective(grants: readonly MailboxGrant[], accountId: AccountId, anyone = true): string {
  return unionRights(
    ...grants.filter((g) => g.grantee === accountId || (anyone && g.grantee === ANYONE)).map((g) => g.rights),
  );
}

/**
 * Refuses an operation the rights do not allow: without "l" (and without every other right that
 * would reveal the mailbox) as `notFound`, like a mailbox that does not exist (RFC 4314 §6: a
 * server must not reveal existence), otherwise as `forbidden` (IMAP NO [NOPERM], JMAP forbidden).
 */
export function requireRights(rights: string, needed: string): void {
  if (hasRights(rights, needed)) return;
  if (!rights.includes("l") && !hasAnyRight(rights, "ra")) {
    throw new StoreError("notFound", "no such mailbox");
  }
  throw new StoreError(
    "forbidden",
    `missing rights ${[...needed].filter((r) => !rights.includes(r)).join("")}`,
  );
}

/** A mailbox of another account visible to a grantee. */
export interface SharedMailbox {
  /** The owner. */
  owner: Account;
  /** The mailbox. */
  mailbox: Mailbox;
  /** The grantee's effective rights (always including "l"). */
  rights: string;
}

/**
 * Every mailbox of other accounts on which `accountId` holds the lookup right, grouped in owner
 * order. Grants on mailboxes or accounts that no longer exist are skipped.
 */
export async function sharedWith(store: AclStore, accountId: AccountId): Promise<SharedMailbox[]> {
  const anyone: MailboxGrant[] = [];
  const reached = new Map<AccountId, boolean>();
  for (const g of await store.mailboxAcl.listForGrantee(ANYONE)) {
    if (g.ownerId === accountId) continue;
    let ok = reached.get(g.ownerId);
    if (ok === undefined) reached.set(g.ownerId, ok = await anyoneReaches(store, accountId, g.ownerId));
    if (ok) anyone.push(g);
  }
  const grants = [...await store.mailboxAcl.listForGrantee(accountId), ...anyone].filter((g) =>
    g.ownerId !== accountId
  );
  const byOwner = new Map<AccountId, Map<MailboxId, string>>();
  for (const g of grants) {
    const m = byOwner.get(g.ownerId) ?? new Map<MailboxId, string>();
    m.set(g.mailboxId, unionRights(m.get(g.mailboxId) ?? "", g.rights));
    byOwner.set(g.ownerId, m);
  }
  const out: SharedMailbox[] = [];
  for (const [ownerId, rightsById] of byOwner) {
    if (![...rightsById.values()].some((r) => r.includes("l"))) continue;
    const owner = await store.getAccount(ownerId);
    if (!owner) continue;
    for (const mailbox of await store.listMailboxes(ownerId)) {
      const rights = rightsById.get(mailbox.id);
      if (rights?.includes("l")) out.push({ owner, mailbox, rights });
    }
  }
  return out;
}

/**
 * Sets a grantee's rights on a mailbox ("" removes the grant), records a change of the mailbox, so
 * that JMAP clients see its `shareWith` move (RFC 9670 §4.2 with RFC 8620 §5.2 Mailbox/changes),
 * and tells the grantee with a share notification (RFC 9670 §5, share_notices.ts).
 */
export async function setGrant(
  store: Pick<Store, "mailboxAcl" | "updateMailbox"> & ShareNoticeStore,
  ownerId: AccountId,
  mailboxId: MailboxId,
  grantee: string,
  rights: string,
  change: GrantChange = { changedBy: null, now: new Date() },
): Promise<void> {
  const before =
    (await store.mailboxAcl.list(ownerId, mailboxId)).find((g) => g.grantee === grantee)?.rights ??
      "";
  await store.mailboxAcl.set(ownerId, mailboxId, grantee, rights);
  await store.updateMailbox(ownerId, mailboxId, {});
  await noticeGrantChange(store, ownerId, mailboxId, grantee, before, rights, change);
}
