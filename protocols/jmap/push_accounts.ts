/**
 * The accounts a push channel follows (RFC 8620 §7.1 StateChange, with RFC 9670): the user's own
 * account, and the accounts shared with them at the time the channel opens. A shared account's
 * change reaches the user only when it touches a mailbox they may look up ("l"), and only for the
 * mail data types they may see there (Mailbox, Email, Thread). A grant change that moves their
 * Email and Thread states (core/acl/view_state.ts) is told as a change of those too.
 *
 * @module
 */
import type { AccountId, ChangeType, MailboxId } from "../../core/store/types.ts";
import type { ChangeEvent } from "../../core/store/notifier.ts";
import type { Store } from "../../core/store/store.ts";
import { sharedWith } from "../../core/acl/access.ts";
import { GrantView } from "../../core/acl/view_state.ts";

/** Types of a shared account a grantee is told about. */
const SHARED_PUSH_TYPES: ReadonlySet<ChangeType> = new Set(["Mailbox", "Email", "Thread"]);

/** A change of one followed account, as the user may see it. */
export interface FollowedChange {
  accountId: AccountId;
  /** True for the user's own account. */
  personal: boolean;
  event: ChangeEvent;
  /** The user's rights by mailbox on a shared account after the change; null for their own. */
  rights: ReadonlyMap<MailboxId, string> | null;
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
  const byOwner = new Map<AccountId, GrantView>();
  for (const s of await sharedWith(store, userId)) {
    if (!byOwner.has(s.owner.id)) byOwner.set(s.owner.id, await GrantView.open(store, userId, s.owner.id));
  }
  const unsubscribes = [
    store.notifier.subscribe(
      userId,
      (event) => listener({ accountId: userId, personal: true, event, rights: null }),
    ),
  ];
  for (const [ownerId, view] of byOwner) {
    // One owner's events are told in order, each after the view has seen the grant changes before it.
    let chain = Promise.resolve();
    unsubscribes.push(store.notifier.subscribe(ownerId, (event) => {
      if (!event.types.some((t) => SHARED_PUSH_TYPES.has(t))) return;
      chain = chain.then(async () => {
        // RFC 4314 §4: nothing of a mailbox the user may not look up, not even that it changed.
        const types = await view.apply(store, event, SHARED_PUSH_TYPES);
        if (types.length > 0) {
          listener({ accountId: ownerId, personal: false, event: { ...event, types }, rights: view.rights });
        }
      }).catch(() => {});
    }));
  }
  return () => {
    for (const u of unsubscribes) u();
  };
}
