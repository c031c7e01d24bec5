/**
 * What earlier pipeline stages learnt about a transaction, for the spam stage (message
 * authentication results), and what the spam stage decided, for later ones (Sieve spamtest):
 * kept beside the transaction object, gone with it.
 *
 * @module
 */
import type { AuthOutcome } from "../mailauth/verify.ts";
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

const auth = new WeakMap<object, AuthOutcome>();
const verdicts = new WeakMap<object, Map<AccountId, SpamVerdict>>();

/** Called by the message-authentication stage (core/mailauth/stage.ts) with its outcome. */
export function noteAuthOutcome(tx: object, outcome: AuthOutcome): void {
  auth.set(tx, outcome);
}

/** The authentication outcome of a transaction, when it was checked. */
export function authOutcomeOf(tx: object): AuthOutcome | undefined {
  return auth.get(tx);
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
