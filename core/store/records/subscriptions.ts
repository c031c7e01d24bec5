/**
 * IMAP subscriptions of names that have no mailbox (`Store.subscriptions`). A mailbox carries its
 * own `subscribed` flag; when a subscribed mailbox is deleted its name stays subscribed here,
 * because a server must not remove a name from the subscription list on its own (RFC 9051
 * §6.3.7), and LIST (SUBSCRIBED) reports it `\NonExistent` (RFC 5258 §3.4).
 *
 * @module
 */
import type { AccountId } from "../types.ts";

/** Subscribed full names without a mailbox, per account. */
export interface SubscriptionStore {
  /** The account's subscribed names without a mailbox, sorted. */
  list(accountId: AccountId): Promise<string[]>;
  /** Adds a name (idempotent). */
  add(accountId: AccountId, name: string): Promise<void>;
  /** Removes a name (idempotent). */
  remove(accountId: AccountId, name: string): Promise<void>;
}
