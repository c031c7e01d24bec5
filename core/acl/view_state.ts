/**
 * The state strings a grantee sees of an account shared with them (RFC 9670 over RFC 8620 §5.1 and
 * §5.2), and how a push channel notices that a grant change moved them (RFC 8620 §7.1).
 *
 * Which Emails and Threads exist for a grantee depends on the grants as much as on the owner's
 * data: a grant of "r" on a mailbox makes its messages appear, a revocation makes them vanish,
 * though no message changed and the owner's change log records nothing for them. So the Email and
 * Thread states a grantee sees are the owner's state plus a "grant generation", a digest of the
 * mailboxes they may look up and read; a state of an older generation cannot be followed through
 * the log (cannotCalculateChanges, and the client syncs again). The owner's own states never carry
 * one.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { ChangeEvent } from "../store/notifier.ts";
import { ANYONE, type MailboxGrant } from "../store/records/mailbox_acl.ts";
import type { AccountId, ChangeType, MailboxId } from "../store/types.ts";
import { type AclStore, sharedWith } from "./access.ts";

/**
 * The grant generation of a grantee's view of a shared account (`rights`: their rights by mailbox,
 * only mailboxes with "l"; null for their own account, which has none, ""): a digest of which
 * mailboxes they may look up ("l") and read ("r"), the rights that decide which Emails and
 * Threads exist for them and what their `mailboxIds` and `emailIds` hold. Any grant change that
 * moves these (IMAP SETACL or DELETEACL, JMAP `shareWith`, `tern share`, a grant to "anyone")
 * gives another generation; other rights do not.
 */
export function grantGeneration(rights: ReadonlyMap<MailboxId, string> | null): string {
  if (!rights) return "";
  const entries = [...rights].map(([id, r]) => `${id}:${r.includes("r") ? "r" : "l"}`).sort();
  return createHash("sha256").update(entries.join(",")).digest("hex").slice(0, 12);
}

/**
 * The Email or Thread state a grantee sees: the owner's `state` and, on a shared account
 * (`rights` not null), the grant generation after a "-" (owner states are decimal MODSEQs).
 */
export function viewState(state: string, rights: ReadonlyMap<MailboxId, string> | null): string {
  return rights ? `${state}-${grantGeneration(rights)}` : state;
}

/** Types whose state on a shared account carries the grant generation. */
export const GENERATION_TYPES: ReadonlySet<ChangeType> = new Set(["Email", "Thread"]);

/** A grantee's rights by mailbox (only mailboxes with "l") on one owner's account, as of now. */
export async function rightsOn(
  store: AclStore,
  grantee: AccountId,
  ownerId: AccountId,
): Promise<Map<MailboxId, string>> {
  const rights = new Map<MailboxId, string>();
  for (const s of await sharedWith(store, grantee)) {
    if (s.owner.id === ownerId) rights.set(s.mailbox.id, s.rights);
  }
  return rights;
}

/** The raw grants of one mailbox that can reach `grantee` (theirs and "anyone"'s), as a string. */
function grantsFingerprint(grants: readonly MailboxGrant[], grantee: AccountId): string {
  return grants.filter((g) => g.grantee === grantee || g.grantee === ANYONE)
    .map((g) => `${g.grantee}=${g.rights}`).sort().join(",");
}

/**
 * One grantee's view of one owner's account, kept current from the owner's change events for a
 * push channel: it knows the mailboxes the grantee may look up, and notices a grant change on a
 * mailbox (setGrant records one as a Mailbox change, core/acl/access.ts) by comparing the grants
 * that can reach the grantee, then reads their rights again.
 */
export class GrantView {
  #grants = new Map<MailboxId, string>();

  private constructor(
    readonly grantee: AccountId,
    readonly ownerId: AccountId,
    /** The grantee's rights by mailbox (only mailboxes with "l"). */
    public rights: ReadonlyMap<MailboxId, string>,
  ) {}

  /** The grantee's view of the owner's account as of now. */
  static async open(store: AclStore, grantee: AccountId, ownerId: AccountId): Promise<GrantView> {
    const view = new GrantView(grantee, ownerId, await rightsOn(store, grantee, ownerId));
    const byMailbox = new Map<MailboxId, MailboxGrant[]>();
    for (const g of await store.mailboxAcl.listForOwner(ownerId)) {
      byMailbox.set(g.mailboxId, [...byMailbox.get(g.mailboxId) ?? [], g]);
    }
    for (const [id, grants] of byMailbox) view.#grants.set(id, grantsFingerprint(grants, grantee));
    return view;
  }

  /**
   * The types of an owner's change the grantee is told of (among `types`): none unless it touches
   * a mailbox they may look up, before or after the change (RFC 4314 §4: not even that a hidden
   * mailbox changed). A grant change that moves the grant generation also changes their Email and
   * Thread states, so those are told too.
   */
  async apply(store: AclStore, event: ChangeEvent, types: ReadonlySet<ChangeType>): Promise<ChangeType[]> {
    const before = this.rights;
    let moved = false;
    if (event.types.includes("Mailbox")) {
      for (const id of event.mailboxIds) {
        const now = grantsFingerprint(await store.mailboxAcl.list(this.ownerId, id), this.grantee);
        if (now !== (this.#grants.get(id) ?? "")) {
          this.#grants.set(id, now);
          moved = true;
        }
      }
    }
    if (moved) this.rights = await rightsOn(store, this.grantee, this.ownerId);
    if (!event.mailboxIds.some((id) => before.has(id) || this.rights.has(id))) return [];
    const out = new Set(event.types);
    if (moved && grantGeneration(before) !== grantGeneration(this.rights)) {
      for (const t of GENERATION_TYPES) out.add(t);
    }
    return [...out].filter((t) => types.has(t));
  }
}
