/**
 * The Bayesian combining of the junk filter, pure: Gary Robinson's per-token probability with a
 * prior for rare tokens, and Fisher's chi-square combining of the strongest clues (the method
 * SpamBayes settled on, and mox's junk filter uses a close cousin of). Counts come from
 * `Store.junkTokens` (core/store/records/junk_tokens.ts).
 *
 * @module
 */
import type { TokenCounts } from "../store/records/junk_tokens.ts";

/** Tuning of the combining (defaults: SpamBayes' published defaults). */
export interface BayesOptions {
  /** Weight of the prior for a token seen rarely (Robinson's s). */
  strength: number;
  /** Probability assumed for a token never seen (Robinson's x). */
  unknown: number;
  /** Tokens whose probability is within this of 0.5 are no clue. */
  minStrength: number;
  /** Most clues combined (the strongest). */
  maxClues: number;
}

/** The default tuning. */
export const BAYES_DEFAULTS: Readonly<BayesOptions> = {
  strength: 0.45,
  unknown: 0.5,
  minStrength: 0.1,
  maxClues: 150,
};

/**
 * Robinson's smoothed spam probability of one token: the ratio of its spam frequency to the sum of
 * both frequencies, pulled towards `unknown` the fewer messages contained it.
 */
export function tokenProbability(
  counts: TokenCounts,
  totals: TokenCounts,
  opts: BayesOptions = BAYES_DEFAULTS,
): number {
  const spamRatio = totals.spam > 0 ? Math.min(counts.spam / totals.spam, 1) : 0;
  const hamRatio = totals.ham > 0 ? Math.min(counts.ham / totals.ham, 1) : 0;
  const n = counts.spam + counts.ham;
  if (spamRatio + hamRatio === 0) return opts.unknown;
  const p = spamRatio / (spamRatio + hamRatio);
  return (opts.strength * opts.unknown + n * p) / (opts.strength + n);
}

/**
 * The probability that a chi-square distributed variable with `v` (even) degrees of freedom is at
 * least `x2` (the survival function), by the series for even degrees of freedom.
 */
export function chi2Q(x2: number, v: number): number {
  const m = x2 / 2;
  let term = Math.exp(-m);
  let sum = term;
  for (let i = 1; i < v / 2; i++) {
    term *= m / i;
    sum += term;
  }
  return Math.min(sum, 1);
}

/** The outcome of classifying one message. */
export interface BayesResult {
  /** 0 (ham) .. 1 (spam); 0.5 when there is no evidence. */
  probability: number;
  /** Number of clues combined. */
  clues: number;
}

/**
 * Fisher-Robinson combining: each clue's probability feeds two chi-square tests, one for "these
 * are spam clues" and one for "these are ham clues"; the result is (S − H + 1) / 2, so strong
 * evidence both ways gives 0.5 (unsure) rather than a confident mistake.
 */
export function classify(
  tokens: readonly string[],
  counts: ReadonlyMap<string, TokenCounts>,
  totals: TokenCounts,
  opts: BayesOptions = BAYES_DEFAULTS,
): BayesResult {
  if (totals.spam + totals.ham === 0) return { probability: 0.5, clues: 0 };
  const probs: number[] = [];
  for (const t of new Set(tokens)) {
    const c = counts.get(t);
    if (!c) continue;
    const p = tokenProbability(c, totals, opts);
    if (Math.abs(p - 0.5) >= opts.minStrength) probs.push(p);
  }
  probs.sort((a, b) => Math.abs(b - 0.5) - Math.abs(a - 0.5));
  const clues = probs.slice(0, opts.maxClues);
  if (clues.length === 0) return { probability: 0.5, clues: 0 };
  let lnSpam = 0;
  let lnHam = 0;
  for (const p of clues) {
    // Clamped so that ln never sees 0.
    const q = Math.min(Math.max(p, 1e-6), 1 - 1e-6);
    lnHam += Math.log(q);
    lnSpam += Math.log(1 - q);
  }
  const v = 2 * clues.length;
  const s = 1 - chi2Q(-2 * lnSpam, v);
  const h = 1 - chi2Q(-2 * lnHam, v);
  return { probability: (s - h + 1) / 2, clues: clues.length };
}
