/**
 * JMAP Identity records (`Store.identities`, RFC 8621 §6). Every account has a default identity for
 * its own address, created on first listing; more may be created for addresses the account may send
 * as (the caller checks that).
 *
 * @module
 */
import type { AccountId, EmailAddress } from "../types.ts";

/** An Identity (RFC 8621 §6). */
export interface Identity {
  id: string;
  name: string;
  email: string;
  replyTo: EmailAddress[] | null;
  bcc: EmailAddress[] | null;
  textSignature: string;
  htmlSignature: string;
  mayDelete: boolean;
}

/** Fields a client may set. */
export type IdentityInput = Partial<Omit<Identity, "id" | "mayDelete">>;

/** Default identity ids are derived from the account id so they are stable (and not deletable). */
export function defaultIdentityId(accountId: AccountId): string {
  return `i${accountId}`;
}

/** Identities of all accounts. */
export interface IdentityStore {
  /** Identities of an account, oldest first; creates the default one (own address) when missing. */
  list(accountId: AccountId, account: { address: string; displayName: string }): Promise<Identity[]>;
  /** One identity of an account, or null. */
  get(accountId: AccountId, id: string): Promise<Identity | null>;
  /** Creates an identity with a new id. */
  create(accountId: AccountId, input: IdentityInput & { email: string }): Promise<Identity>;
  /** Updates the mutable fields (everything but email); null when it does not exist. */
  update(accountId: AccountId, id: string, patch: Omit<IdentityInput, "email">): Promise<Identity | null>;
  /** Deletes an identity; true when it existed. */
  delete(accountId: AccountId, id: string): Promise<boolean>;
}
