/**
 * IMAP METADATA entries (RFC 5464, `Store.metadata`): annotations on the server ("" mailbox id)
 * and on mailboxes. An entry name starts with `/private` (one user's, kept per user even on a
 * mailbox shared with others) or `/shared` (seen by everyone who can access the mailbox). Names
 * are stored lowercase (entry names are case-insensitive, RFC 5464 §3.2); values are octets.
 * Entries are keyed by mailbox id, so they follow a RENAME; `removeMailbox` drops them on DELETE.
 *
 * @module
 */
import type { AccountId } from "../types.ts";

/** One entry as stored. */
export interface MetadataEntry {
  /** Full entry name, lowercase, e.g. `/private/comment`. */
  name: string;
  /** The value's octets. */
  value: Uint8Array;
}

/** A change: a value to set, or null to remove the entry. */
export interface MetadataChange {
  /** Full entry name, lowercase. */
  name: string;
  /** New value, or null to remove. */
  value: Uint8Array | null;
}

/** Metadata entries per account, mailbox and (for `/private` entries) user. */
export interface MetadataStore {
  /**
   * The entries of one mailbox (`""`: the server) that `userId` sees: every `/shared` entry and
   * that user's own `/private` entries, sorted by name.
   *
   * @param accountId the mailbox owner (for server entries: the user)
   */
  list(accountId: AccountId, mailboxId: string, userId: AccountId): Promise<MetadataEntry[]>;
  /** Applies the changes all together (one transaction): set or remove, in order. */
  apply(accountId: AccountId, mailboxId: string, userId: AccountId, changes: MetadataChange[]): Promise<void>;
  /** How many entries are stored under the account (every mailbox and user). */
  count(accountId: AccountId): Promise<number>;
  /** Removes every entry of a mailbox (it was deleted). */
  removeMailbox(accountId: AccountId, mailboxId: string): Promise<void>;
}
