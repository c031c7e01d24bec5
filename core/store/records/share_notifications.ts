/**
 * Share notifications (RFC 9670 §5): a record, in the account of the user whose rights changed, of
 * each grant, change or revocation of their rights on another account's mailbox. They cannot be
 * changed, only destroyed by their user; a destroyed one leaves a tombstone so that /changes can
 * report it, and so that the store still knows the user was once told of the mailbox.
 *
 * @module
 */
import type { AccountId } from "../types.ts";

/** Who changed the rights (RFC 9670 §5.1 Entity). */
export interface ShareChanger {
  /** A display name (the account's, or "administrator" for `tern share`). */
  name: string;
  /** Their address, null for the administrator. */
  email: string | null;
  /** Their principal (account) id, null for the administrator. */
  principalId: string | null;
}

/** A share notification as stored. */
export interface ShareNotification {
  /** Server-set id ("sn" and a number). */
  id: string;
  /** The user whose rights changed (the account holding the notification). */
  accountId: AccountId;
  created: Date;
  changedBy: ShareChanger;
  /** The data type of the shared object: "Mailbox". */
  objectType: string;
  /** The account owning the object. */
  objectAccountId: AccountId;
  objectId: string;
  /** RFC 4314 letters held before ("" for none) and after. */
  oldRights: string;
  newRights: string;
  /** The object's name when the rights changed. */
  name: string;
}

/** What /changes reports of an account's share notifications (RFC 8620 §5.2). */
export interface ShareNotificationChanges {
  newState: string;
  created: string[];
  destroyed: string[];
}

/** Stored share notifications (`Store.shareNotifications`). */
export interface ShareNotificationStore {
  /** Records a notification; returns it with its id. */
  add(n: Omit<ShareNotification, "id">): Promise<ShareNotification>;
  /** The account's notifications not destroyed, oldest first (by id within one instant). */
  list(accountId: AccountId): Promise<ShareNotification[]>;
  /** Destroys the named notifications of the account; returns the ids that were live. */
  destroy(accountId: AccountId, ids: readonly string[]): Promise<string[]>;
  /** The account's state string ("0" before any notification). */
  state(accountId: AccountId): Promise<string>;
  /**
   * Changes since `sinceState`; throws CannotCalculateChangesError for a state this store never
   * gave (not a number, or ahead of the current one).
   */
  changes(accountId: AccountId, sinceState: string): Promise<ShareNotificationChanges>;
  /** Ids of the objects of `objectAccountId` the account was ever notified of, destroyed included. */
  objectsNotified(accountId: AccountId, objectAccountId: AccountId): Promise<Set<string>>;
}

/** The id of a notification from its sequence number (both backends number them alike). */
export function shareNotificationId(seq: number): string {
  return `sn${seq}`;
}

/** The sequence number of a notification id, or null when it is not one. */
export function shareNotificationSeq(id: string): number | null {
  const m = /^sn([1-9][0-9]{0,15})$/.exec(id);
  return m ? Number(m[1]) : null;
}
