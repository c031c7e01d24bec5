/**
 * The standard /changes method (RFC 8620 §5.2) over the store's change log.
 *
 * @module
 */
import type { Changes, ChangeType } from "../../core/store/types.ts";
import { MethodError } from "./errors.ts";
import { type MethodContext, optUInt, requireAccount } from "./method_context.ts";
import { accountAccess } from "./mailbox_sharing.ts";
import { mailboxesMayHaveSeen, ownerState, viewState, visibleChanges } from "./shared_view.ts";

/** Types a user may follow on an account shared with them (RFC 9670 §1: mail data only). */
const SHARED_TYPES: ReadonlySet<ChangeType> = new Set(["Mailbox", "Email", "Thread"]);

/**
 * Runs /changes for a logged type. Mailbox, Email and Thread changes are also answered on an
 * account shared with the user, cut down to what the rights let them see (shared_view.ts).
 */
export async function standardChanges(
  args: Record<string, unknown>,
  ctx: MethodContext,
  type: ChangeType,
): Promise<Record<string, unknown>> {
  const access = SHARED_TYPES.has(type) ? await accountAccess(args, ctx) : null;
  const accountId = access ? access.accountId : requireAccount(args, ctx);
  const sinceState = args.sinceState;
  if (typeof sinceState !== "string") throw new MethodError("invalidArguments", "sinceState is required.");
  const maxChanges = optUInt(args, "maxChanges");
  if (maxChanges === 0) throw new MethodError("invalidArguments", "maxChanges must be positive.");
  const store = ctx.services.server.store;
  // Email and Thread states on a shared account carry the grant generation (shared_view.ts).
  const rights = access && (type === "Email" || type === "Thread") ? access.rights : null;
  const since = ownerState(sinceState, rights);
  let c = await store.changes(accountId, type, since, maxChanges ?? undefined);
  if (access && !access.personal) {
    if (type === "Thread") c = await withMovedThreads(store, accountId, since, c);
    const seen = type === "Mailbox" ? await mailboxesMayHaveSeen(store, ctx.account.id, access) : undefined;
    c = await visibleChanges(store, access, type as "Mailbox" | "Email" | "Thread", c, seen);
  }
  return {
    accountId,
    oldState: sinceState,
    newState: viewState(c.newState, rights),
    hasMoreChanges: c.hasMoreChanges,
    created: c.created,
    updated: c.updated,
    destroyed: c.destroyed,
  };
}

/**
 * A thread the user sees changes when one of its Emails moves in or out of the mailboxes they may
 * read, which the owner's Thread log does not record (the thread itself is the same): the threads of
 * the Emails changed since the same point (states are the account's MODSEQ) are counted as updated,
 * and `visibleChanges` then keeps or destroys them for the user.
 */
async function withMovedThreads(
  store: MethodContext["services"]["server"]["store"],
  accountId: string,
  sinceState: string,
  c: Changes,
): Promise<Changes> {
  const emails = await store.changes(accountId, "Email", sinceState);
  const touched = await store.getMessages(accountId, [...emails.created, ...emails.updated]);
  const known = new Set([...c.created, ...c.updated, ...c.destroyed]);
  const moved = [...new Set(touched.map((m) => m.threadId))].filter((id) => !known.has(id));
  return moved.length === 0 ? c : { ...c, updated: [...c.updated, ...moved] };
}
