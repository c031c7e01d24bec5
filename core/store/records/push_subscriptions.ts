/**
 * JMAP PushSubscription records (`Store.pushSubscriptions`, RFC 8620 §7.2): where a client wants
 * StateChange objects POSTed, with the keys to encrypt them (RFC 8291), the verification code the
 * server sent (§7.2.2) and the one the client set back, expiry and the types it wants.
 *
 * @module
 */
import type { AccountId } from "../types.ts";

/** The client's ECDH public key and authentication secret (RFC 8620 §7.2, RFC 8291 §3). */
export interface PushKeys {
  /** P-256 public key, uncompressed point, base64url without padding. */
  p256dh: string;
  /** 16-byte authentication secret, base64url without padding. */
  auth: string;
}

/** One push subscription as kept. */
export interface PushSubscriptionRecord {
  id: string;
  accountId: AccountId;
  deviceClientId: string;
  url: string;
  keys: PushKeys | null;
  /** The code the server POSTed in a PushVerification object (never shown to /get). */
  expectedCode: string;
  /** The code the client set; the subscription is active once it equals `expectedCode`. */
  verificationCode: string | null;
  /** When the subscription stops; null for never. */
  expires: Date | null;
  /** Type names to push; null for all. */
  types: string[] | null;
  created: Date;
}

/** What an update may change (RFC 8620 §7.2.2: only these are client-updatable). */
export interface PushSubscriptionPatch {
  verificationCode?: string | null;
  expires?: Date | null;
  types?: string[] | null;
}

/** Push subscriptions of all accounts. */
export interface PushSubscriptionStore {
  /** The account's subscriptions, oldest first. */
  list(accountId: AccountId): Promise<PushSubscriptionRecord[]>;
  /** Accounts that have at least one subscription (for the dispatcher at start). */
  accounts(): Promise<AccountId[]>;
  /** Number of subscriptions of an account. */
  count(accountId: AccountId): Promise<number>;
  /** Adds a subscription (id chosen by the caller). */
  create(record: PushSubscriptionRecord): Promise<void>;
  /** Applies a patch; null when the subscription does not exist. */
  update(
    accountId: AccountId,
    id: string,
    patch: PushSubscriptionPatch,
  ): Promise<PushSubscriptionRecord | null>;
  /** Removes a subscription; false when it did not exist. */
  delete(accountId: AccountId, id: string): Promise<boolean>;
  /** Removes every subscription whose `expires` is at or before `now`; returns how many. */
  deleteExpired(now: Date): Promise<number>;
}
