/**
 * The accounts a push channel follows (RFC 8620 §7.1 StateChange, with RFC 9670): the user's own
 * account, and the accounts shared with them at the time the channel opens. A shared account's
 * change reaches the user only when it touches a mailbox they may look up ("l"), and only for the
 * mail data types they may see there (Mailbox, Email, Thread).
 *
 * @module
 */
import type { AccountId, ChangeType, MailboxId } from "../../core/store/types.ts";
import type { ChangeEvent } from "../../core/store/notifier.ts";
import type { Store } from "../../core/store/store.ts";
import { sharedWith } from "../../core/acl/access.ts";

/** Types of a shared account a grantee is told about. */
const SHARED_PUSH_TYPES: ReadonlySet<ChangeType> = new Set(["Mailbox", "Email", "Thread"]);

/** A change of one followed account, as the user may see it. */
export interface FollowedChange {
  accountId: AccountId;
  /** True for the user's own account. */
  personal: boolean;
  event: ChangeEvent;
}

/**
 * Subscribes to the user's own account and to each account shared with them; resolves, once every
 * subscription is in place, to the unsubscribe function.
 */
export async function followAccounts(
  store: Pick<Store, "notifier" | "mailboxAcl" | "getAccount" | "listMailboxes" | "organizations">,
  userId: AccountId,
  listener: (change: FollowedChange) => void,
): Promise<() => void> {
  const byOwner = new Map<AccountId, Set<MailboxId>>();
  for (const s of await sharedWith(store, userId)) {
    const set = byOwner.get(s.owner.id) ?? new Set<MailboxId>();
    set.add(s.mailbox.id);
    byOwner.set(s.owner.id, set);
  }
  const unsubscribes = [
    store.notifier.subscribe(userId, (event) => listener({ accountId: userId, personal: true, event })),
  ];
  for (const [ownerId, visible] of byOwner) {
    unsubscribes.push(store.notifier.subscribe(ownerId, (event) => {
      // RFC 4314 §4: nothing of a mailbox the user may not look up, not even that it changed.
      if (!event.mailboxIds.some((id) => visible.has(id))) return;
      const types = event.types.filter((t) => SHARED_PUSH_TYPES.has(t));
      if (types.length > 0) listener({ accountId: ownerId, personal: false, event: { ...event, types } });
    }));
  }
  return () => {
    for (const u of unsubscribes) u();
  };
}
