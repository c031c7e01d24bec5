/**
 * What earlier pipeline stages learnt about a transaction, for later ones: the message
 * authentication outcome (core/mailauth) for the spam stage, and the spam stage's verdicts
 * (core/spam) for Sieve's spamtest. Kept beside the transaction object, gone with it. Here in
 * core/delivery, typed by the producers, so that mailauth, spam and the Sieve stage meet without
 * importing each other.
 *
 * @module
 */
import type { AccountId } from "../store/types.ts";

/** The spam verdict of one message for one account. */
export interface SpamVerdict {
  /** Points (rules + junk filter, or rspamd's score + junk filter). */
  score: number;
  /** The threshold in force. */
  threshold: number;
  spam: boolean;
  /** Names of the rules that fired, e.g. `SPF_FAIL`, `BAYES_99`. */
  tests: string[];
}

const auth = new WeakMap<object, unknown>();
const verdicts = new WeakMap<object, Map<AccountId, SpamVerdict>>();

/** Called by the message-authentication stage (core/mailauth/stage.ts) with its outcome. */
export function noteAuthOutcome<T>(tx: object, outcome: T): void {
  auth.set(tx, outcome);
}

/**
 * The authentication outcome of a transaction, when it was checked; `T` is the producer's type
 * (core/mailauth/verify.ts `AuthOutcome`), the only one ever noted.
 */
export function authOutcomeOf<T>(tx: object): T | undefined {
  return auth.get(tx) as T | undefined;
}

/** Records the spam verdict of each recipient account. */
export function noteSpamVerdicts(tx: object, byAccount: Map<AccountId, SpamVerdict>): void {
  verdicts.set(tx, byAccount);
}

/** The spam verdict of a transaction for an account, when it was scored. */
export function spamVerdictOf(tx: object, accountId: AccountId): SpamVerdict | undefined {
  return verdicts.get(tx)?.get(accountId);
}

/**
 * RFC 3685 §2 spamtest value 1..10 of a verdict (1: not spam, 10: certainly spam) and the RFC 5235
 * §2 percentage 0..100: the score relative to the threshold, the threshold at 5 / 50%.
 */
export function spamtestValues(v: SpamVerdict): { score: number; percent: number } {
  const t = v.threshold > 0 ? v.threshold : 5;
  const percent = Math.round(Math.min(Math.max(v.score / (2 * t), 0), 1) * 100);
  const score = Math.min(10, Math.max(1, 1 + Math.round(percent * 9 / 100)));
  return { score, percent };
}
