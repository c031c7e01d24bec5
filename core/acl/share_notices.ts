/**
 * Share notifications (RFC 9670 §5): when a user's rights on another account's mailbox are granted,
 * changed or revoked, a notification goes into that user's account, saying who changed them, on
 * which mailbox, and the rights before and after. Grants to "anyone" notify nobody (there is no one
 * account to hold the notification).
 *
 * @module
 */
import type { Store } from "../store/store.ts";
import type { AccountId, MailboxId } from "../store/types.ts";
import { ANYONE } from "../store/records/mailbox_acl.ts";
import type { ShareChanger } from "../store/records/share_notifications.ts";
import { fullNames } from "./mailbox_names.ts";

/** Who changes a grant: an account, or null for the administrator (`tern share`). */
export interface GrantChange {
  changedBy: AccountId | null;
  now: Date;
}

/** The store services recording needs. */
export type ShareNoticeStore = Pick<Store, "shareNotifications" | "getAccount" | "listMailboxes">;

async function changer(store: ShareNoticeStore, id: AccountId | null): Promise<ShareChanger> {
  const a = id === null ? null : await store.getAccount(id);
  if (!a) return { name: "administrator", email: null, principalId: null };
  return { name: a.displayName || a.address, email: a.address, principalId: a.id };
}

/** Records the notification of one grant change (nothing when the rights did not change). */
export async function noticeGrantChange(
  store: ShareNoticeStore,
  ownerId: AccountId,
  mailboxId: MailboxId,
  grantee: string,
  oldRights: string,
  newRights: string,
  change: GrantChange,
): Promise<void> {
  if (grantee === ANYONE || oldRights === newRights) return;
  const name = fullNames(await store.listMailboxes(ownerId)).get(mailboxId) ?? "";
  await store.shareNotifications.add({
    accountId: grantee,
    created: change.now,
    changedBy: await changer(store, change.changedBy),
    objectType: "Mailbox",
    objectAccountId: ownerId,
    objectId: mailboxId,
    oldRights,
    newRights,
    name,
  });
}
