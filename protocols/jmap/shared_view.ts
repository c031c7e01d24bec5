/**
 * What a user sees of a shared account's changes and threads (RFC 9670 over RFC 8621 and RFC
 * 4314): the owner's change log cut down to the records the user may see now. A record they may no
 * longer see (the message left the mailboxes they may read, the grant was revoked) is reported as
 * destroyed, so a client's cache never keeps what the rights no longer allow.
 *
 * @module
 */
import type {
  AccountId,
  Changes,
  ChangeType,
  MailboxId,
  MessageId,
  ThreadId,
} from "../../core/store/types.ts";
import { ANYONE } from "../../core/store/records/mailbox_acl.ts";
import type { Store } from "../../core/store/store.ts";
import { type AccountAccess, visibleMessage } from "./mailbox_sharing.ts";
import { MethodError } from "./errors.ts";
import { grantGeneration, viewState } from "../../core/acl/view_state.ts";

export { viewState };

/**
 * The user's current Email or Thread state of an account: on a shared account the owner's state
 * and the grant generation (core/acl/view_state.ts), so a grant change that makes Emails appear or
 * vanish moves the state though no Email changed.
 */
export async function currentViewState(
  store: Pick<Store, "state">,
  access: AccountAccess,
  type: ChangeType,
): Promise<string> {
  return viewState(await store.state(access.accountId, type), access.rights);
}

/**
 * The owner's state behind an Email or Thread state the user was given (`viewState`). RFC 8620 §5.2: a state of an
 * earlier grant generation (or not of this view at all) cannot be followed through the change log,
 * since the Emails that appeared or vanished with the grant change are in no log:
 * cannotCalculateChanges, and the client syncs again.
 */
export function ownerState(state: string, rights: ReadonlyMap<MailboxId, string> | null): string {
  if (!rights) return state;
  const cut = state.lastIndexOf("-");
  if (cut < 0 || state.slice(cut + 1) !== grantGeneration(rights)) {
    throw new MethodError("cannotCalculateChanges", "The rights on this account changed since that state.");
  }
  return state.slice(0, cut);
}

/** The ids among `ids` the user may see in a shared account (Mailbox: "l"; Email, Thread: "r"). */
export async function visibleIds(
  store: Pick<Store, "getMessages" | "getThreads">,
  access: AccountAccess,
  type: "Mailbox" | "Email" | "Thread",
  ids: readonly string[],
): Promise<Set<string>> {
  if (!access.rights) return new Set(ids);
  if (ids.length === 0) return new Set();
  const rights = access.rights;
  if (type === "Mailbox") return new Set(ids.filter((id) => rights.has(id)));
  if (type === "Email") {
    const messages = await store.getMessages(access.accountId, [...ids]);
    return new Set(messages.filter((m) => visibleMessage(access, m)).map((m) => m.id));
  }
  const threads = await visibleThreads(store, access, ids);
  return new Set(threads.map((t) => t.id));
}

/**
 * Threads with only the Emails the user may see (RFC 8621 §3.1 emailIds); a thread with none is
 * left out, exactly as one that does not exist.
 */
export async function visibleThreads(
  store: Pick<Store, "getMessages" | "getThreads">,
  access: AccountAccess,
  ids: readonly ThreadId[],
): Promise<{ id: ThreadId; emailIds: MessageId[] }[]> {
  const threads = (await store.getThreads(access.accountId, [...ids])).filter((t) => t.emailIds.length > 0);
  if (!access.rights) return threads;
  const all = threads.flatMap((t) => t.emailIds);
  const seen = new Set(
    (await store.getMessages(access.accountId, all)).filter((m) => visibleMessage(access, m)).map((m) =>
      m.id
    ),
  );
  return threads.map((t) => ({ id: t.id, emailIds: t.emailIds.filter((id) => seen.has(id)) }))
    .filter((t) => t.emailIds.length > 0);
}

/**
 * The owner's changes as the user may see them (RFC 8620 §5.2 over RFC 9670): created and updated
 * records they may see stay. A record created since `sinceState` that they cannot see is left out,
 * as they never knew it. An updated one they cannot see now is destroyed for them when `mayHaveSeen`
 * says they may have seen it (an Email that left the mailboxes they read, a Mailbox whose grant
 * was revoked), and left out otherwise, so that no hidden mailbox shows even its id (RFC 4314 §4).
 * The owner's state strings are kept, so the user's /get and /changes agree on states.
 */
export async function visibleChanges(
  store: Pick<Store, "getMessages" | "getThreads">,
  access: AccountAccess,
  type: "Mailbox" | "Email" | "Thread",
  c: Changes,
  mayHaveSeen: (id: string) => boolean = () => true,
): Promise<Changes> {
  if (!access.rights) return c;
  const seen = await visibleIds(store, access, type, [...c.created, ...c.updated]);
  const gone = c.updated.filter((id) => !seen.has(id) && mayHaveSeen(id));
  return {
    ...c,
    created: c.created.filter((id) => seen.has(id)),
    updated: c.updated.filter((id) => seen.has(id)),
    destroyed: [...new Set([...c.destroyed.filter(mayHaveSeen), ...gone])],
  };
}

/**
 * Which of a shared account's mailboxes the user may have seen: those they were ever told of by a
 * share notification (RFC 9670 §5), and those they or "anyone" hold a grant on. A revoked mailbox
 * is then destroyed for them in Mailbox/changes; a mailbox never shared with them never shows.
 */
export async function mailboxesMayHaveSeen(
  store: Pick<Store, "shareNotifications" | "mailboxAcl">,
  userId: AccountId,
  access: AccountAccess,
): Promise<(id: string) => boolean> {
  if (!access.rights) return () => true;
  const known = await store.shareNotifications.objectsNotified(userId, access.accountId);
  for (const g of await store.mailboxAcl.listForOwner(access.accountId)) {
    if (g.grantee === userId || g.grantee === ANYONE) known.add(g.mailboxId);
  }
  return (id) => known.has(id);
}
