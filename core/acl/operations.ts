/**
 * Sharing operations by name, for the CLI (`tern share`) and other admin tools: an owner's mailbox
 * named by its full "/"-separated name (INBOX for the Inbox, as IMAP names it), a grantee by address
 * or "anyone", rights as RFC 4314 letters or a "+"/"-" modification (RFC 4314 §3.1).
 *
 * @module
 */
import type { Store } from "../store/store.ts";
import type { Account, Mailbox } from "../store/types.ts";
import { StoreError } from "../store/types.ts";
import { ANYONE } from "../store/records/mailbox_acl.ts";
import { applyModification } from "./rights.ts";
import { setGrant } from "./access.ts";
import { fullNames } from "./mailbox_names.ts";

export { fullNames };

/**
 * The prefix under which a grantee sees other users' shared mailboxes (RFC 2342 §5 other users'
 * namespace): `Other Users/<owner address>/<owner's full name>`. IMAP names them so, and the
 * grantee's subscriptions to them are kept under these names (JMAP isSubscribed reads them).
 */
export const OTHER_USERS = "Other Users";

/** A shared mailbox's name as its grantees see it. */
export function sharedName(ownerAddress: string, fullName: string): string {
  return `${OTHER_USERS}/${ownerAddress}/${fullName}`;
}

/** One grant with names instead of ids. */
export interface NamedGrant {
  /** The mailbox's full name in the owner's tree. */
  mailbox: string;
  /** The grantee's address, or "anyone". */
  grantee: string;
  /** Rights letters (RFC 4314 §2.1). */
  rights: string;
}

async function accountNamed(store: Store, address: string): Promise<Account> {
  const a = await store.getAccountByAddress(address);
  if (!a) throw new StoreError("notFound", `No account "${address}"`);
  return a;
}

async function mailboxNamed(store: Store, owner: Account, name: string): Promise<Mailbox> {
  const all = await store.listMailboxes(owner.id);
  const names = fullNames(all);
  const wanted = name.toUpperCase() === "INBOX" ? "INBOX" : name;
  const m = all.find((x) => names.get(x.id) === wanted);
  if (!m) throw new StoreError("notFound", `No mailbox "${name}" of ${owner.address}`);
  return m;
}

/** The grants on an owner's mailboxes (one mailbox when `mailbox` is given), sorted by name. */
export async function listShares(
  store: Store,
  ownerAddress: string,
  mailbox?: string,
): Promise<NamedGrant[]> {
  const owner = await accountNamed(store, ownerAddress);
  const names = fullNames(await store.listMailboxes(owner.id));
  const only = mailbox === undefined ? null : (await mailboxNamed(store, owner, mailbox)).id;
  const out: NamedGrant[] = [];
  for (const g of await store.mailboxAcl.listForOwner(owner.id)) {
    const name = names.get(g.mailboxId);
    if (name === undefined || (only !== null && g.mailboxId !== only)) continue;
    const grantee = g.grantee === ANYONE ? ANYONE : (await store.getAccount(g.grantee))?.address;
    if (grantee) out.push({ mailbox: name, grantee, rights: g.rights });
  }
  return out.sort((a, b) =>
    a.mailbox < b.mailbox ? -1 : a.mailbox > b.mailbox ? 1 : a.grantee < b.grantee ? -1 : 1
  );
}

/**
 * Sets a grantee's rights on an owner's mailbox: letters replace, "+x"/"-x" modify (RFC 4314 §3.1).
 * Returns the rights now held; "" means the grant is gone.
 */
export async function grantShare(
  store: Store,
  ownerAddress: string,
  mailbox: string,
  granteeAddress: string,
  rights: string,
): Promise<string> {
  const owner = await accountNamed(store, ownerAddress);
  const m = await mailboxNamed(store, owner, mailbox);
  const grantee = granteeAddress.toLowerCase() === ANYONE
    ? ANYONE
    : (await accountNamed(store, granteeAddress)).id;
  if (grantee === owner.id) throw new StoreError("invalid", "The owner holds every right already");
  const current = (await store.mailboxAcl.list(owner.id, m.id)).find((g) => g.grantee === grantee)?.rights ??
    "";
  const next = applyModification(current, rights);
  if (next === null) throw new StoreError("invalid", `Invalid rights "${rights}" (letters of lrswipkxtea)`);
  await setGrant(store, owner.id, m.id, grantee, next);
  return next;
}

/** Removes a grantee's grant on an owner's mailbox (no error when there is none). */
export async function revokeShare(
  store: Store,
  ownerAddress: string,
  mailbox: string,
  granteeAddress: string,
): Promise<void> {
  await grantShare(store, ownerAddress, mailbox, granteeAddress, "");
}
