/**
 * The VacationResponse singleton of each account (`Store.vacations`, RFC 8621 §8) and the record of
 * who was already answered (RFC 3834 §2: at most one reply per sender per period).
 *
 * @module
 */
import type { AccountId } from "../types.ts";

/** The VacationResponse object; its id is always "singleton". */
export interface VacationResponse {
  id: "singleton";
  isEnabled: boolean;
  fromDate: Date | null;
  toDate: Date | null;
  subject: string | null;
  textBody: string | null;
  htmlBody: string | null;
}

/** Vacation responses of all accounts. */
export interface VacationStore {
  /** The account's vacation response (disabled and empty when never set) and its state ("0" then). */
  get(accountId: AccountId): Promise<{ value: VacationResponse; state: string }>;
  /** Replaces the account's vacation response, forgets who was answered; returns the new state. */
  set(accountId: AccountId, v: VacationResponse): Promise<string>;
  /**
   * Whether a reply to `sender` (compared case-insensitively) is due at `now`, recording it when so:
   * once per sender per `periodMs` (RFC 3834 §2). Atomic: two concurrent claims give one true.
   */
  claimReply(accountId: AccountId, sender: string, now: Date, periodMs: number): Promise<boolean>;
}
