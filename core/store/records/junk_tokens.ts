/**
 * The per-account Bayesian junk filter's counts (`Store.junkTokens`, core/spam): for each token how
 * many trained spam and ham messages contained it, the number of trained messages of each class,
 * and which class each trained message was trained as (so a reversal untrains exactly what was
 * trained). Bounded per account: `prune` drops the weakest tokens beyond a limit.
 *
 * @module
 */
import type { AccountId, MessageId } from "../types.ts";

/** A training class. */
export type JunkClass = "spam" | "ham";

/**
 * What a message is recorded as: trained as spam or ham, or "filed" — put in Junk by the filter
 * itself at delivery and not trained (moving it out of Junk then trains it as ham).
 */
export type JunkMark = JunkClass | "filed";

/** Counts of one token. */
export interface TokenCounts {
  spam: number;
  ham: number;
}

/** One training step of one message, applied atomically. */
export interface JunkTraining {
  /** The message's key (core/spam uses its blob id, so a copy is the same message). */
  messageId: MessageId;
  /** The message's distinct tokens (at most a few thousand). */
  tokens: readonly string[];
  /** Class to take back (the message was trained as it before). */
  untrain?: JunkClass;
  /** Class to add. */
  train?: JunkClass;
  /** What the message is recorded as afterwards (null: forget it). */
  mark: JunkMark | null;
}

/** Token counts per account. */
export interface JunkTokenStore {
  /** Counts of these tokens in an account (tokens never trained are absent). */
  counts(accountId: AccountId, tokens: readonly string[]): Promise<Map<string, TokenCounts>>;
  /** Number of messages trained as each class. */
  totals(accountId: AccountId): Promise<TokenCounts>;
  /** The recorded marks of these messages (unrecorded ones absent). */
  marks(accountId: AccountId, messageIds: readonly MessageId[]): Promise<Map<MessageId, JunkMark>>;
  /**
   * Applies a training step: counts of `untrain` decrease (never below 0; a token at 0/0 goes),
   * counts of `train` increase, the totals follow, and the mark is written, in one transaction.
   */
  train(accountId: AccountId, step: JunkTraining): Promise<void>;
  /**
   * Keeps at most `maxTokens` tokens of an account, dropping those seen in the fewest messages
   * (oldest first among equals), and at most `maxMarks` marks (oldest first). Returns the tokens dropped.
   */
  prune(accountId: AccountId, maxTokens: number, maxMarks: number): Promise<number>;
}
