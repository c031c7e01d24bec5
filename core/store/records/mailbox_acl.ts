/**
 * Access control lists of mailboxes (RFC 4314): per mailbox, per grantee (an account id or
 * `"anyone"`), a set of rights. The owner of a mailbox holds every right implicitly and has no row
 * here; core/acl computes effective rights from these rows.
 *
 * @module
 */
import type { AccountId, MailboxId } from "../types.ts";

/** The identifier that stands for every authenticated user (RFC 4314 §2). */
export const ANYONE = "anyone";

/** One grant: `grantee` holds `rights` on `ownerId`'s mailbox `mailboxId`. */
export interface MailboxGrant {
  /** The account that owns the mailbox. */
  ownerId: AccountId;
  /** The mailbox. */
  mailboxId: MailboxId;
  /** An account id, or `"anyone"`. */
  grantee: string;
  /** Rights letters in canonical order (RFC 4314 §2.1), never empty. */
  rights: string;
}

/** Stored mailbox ACLs (`Store.mailboxAcl`). */
export interface MailboxAclStore {
  /** The grants on one mailbox, sorted by grantee. */
  list(ownerId: AccountId, mailboxId: MailboxId): Promise<MailboxGrant[]>;
  /** Every grant to a grantee (an account id or "anyone"), sorted by owner then mailbox. */
  listForGrantee(grantee: string): Promise<MailboxGrant[]>;
  /** Every grant on the owner's mailboxes, sorted by mailbox then grantee. */
  listForOwner(ownerId: AccountId): Promise<MailboxGrant[]>;
  /** Sets a grantee's rights on a mailbox; empty `rights` removes the grant. */
  set(ownerId: AccountId, mailboxId: MailboxId, grantee: string, rights: string): Promise<void>;
  /** Removes every grant on a mailbox (when it is deleted). */
  removeMailbox(ownerId: AccountId, mailboxId: MailboxId): Promise<void>;
}
