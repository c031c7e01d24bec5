/**
 * Sequence sets (RFC 9051 §9 `sequence-set`): `1,3:5,7:*`, and `$` (RFC 5182 SEARCHRES).
 *
 * @module
 */

/** One range; `null` stands for `*` (the largest number in use). */
export interface SeqRange {
  /** First number, or null for `*`. */
  start: number | null;
  /** Last number, or null for `*`. */
  end: number | null;
}

/** A parsed set: either ranges or the saved search result `$`. */
export type SequenceSet = { saved: true } | { saved: false; ranges: SeqRange[] };

/** Most ranges accepted in one set (bounded: each range costs work per message). */
export const MAX_SEQ_RANGES = 10_000;

const NUMBER = /^[1-9]\d{0,9}$/;

function num(s: string): number | null | undefined {
  if (s === "*") return null;
  if (!NUMBER.test(s)) return undefined;
  const n = Number(s);
  // RFC 9051 §9: nz-number is a 32-bit unsigned value.
  return n <= 0xffffffff ? n : undefined;
}

/** Parses a sequence set; returns null when invalid or over `MAX_SEQ_RANGES`. */
export function parseSequenceSet(text: string, allowSaved = true): SequenceSet | null {
  if (text === "$") return allowSaved ? { saved: true } : null;
  const parts = text.split(",");
  if (parts.length > MAX_SEQ_RANGES) return null;
  const ranges: SeqRange[] = [];
  for (const part of parts) {
    const colon = part.indexOf(":");
    if (colon < 0) {
      const n = num(part);
      if (n === undefined) return null;
      ranges.push({ start: n, end: n });
    } else {
      const a = num(part.slice(0, colon));
      const b = num(part.slice(colon + 1));
      if (a === undefined || b === undefined) return null;
      ranges.push({ start: a, end: b });
    }
  }
  return { saved: false, ranges };
}

/**
 * Resolves ranges against the largest value `max` (`*`); returns a sorted, de-duplicated list
 * of numbers in [1, limit] (for UIDs pass the highest UID as both). Ranges are order-insensitive
 * (RFC 9051 §9: `4:2` equals `2:4`).
 */
export function expandRanges(ranges: SeqRange[], max: number, candidates?: readonly number[]): number[] {
  if (candidates) {
    // UID sets: keep the candidates (ascending) that fall in any range.
    const keep = new Uint8Array(candidates.length);
    for (const r of ranges) {
      let a = r.start ?? max;
      let b = r.end ?? max;
      if (a > b) [a, b] = [b, a];
      for (let i = lowerBound(candidates, a); i < candidates.length && candidates[i]! <= b; i++) keep[i] = 1;
    }
    const out: number[] = [];
    for (let i = 0; i < candidates.length; i++) if (keep[i]) out.push(candidates[i]!);
    return out;
  }
  const keep = new Uint8Array(max + 1);
  for (const r of ranges) {
    let a = r.start ?? max;
    let b = r.end ?? max;
    if (a > b) [a, b] = [b, a];
    b = Math.min(b, max);
    for (let i = Math.max(a, 1); i <= b; i++) keep[i] = 1;
  }
  const out: number[] = [];
  for (let i = 1; i <= max; i++) if (keep[i]) out.push(i);
  return out;
}

/** First index i with arr[i] >= v (arr ascending). */
export function lowerBound(arr: readonly number[], v: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Formats ascending numbers compactly: `1:3,7,9:10` (UIDPLUS, ESEARCH). */
export function formatSequenceSet(nums: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < nums.length) {
    const start = nums[i]!;
    let end = start;
    while (i + 1 < nums.length && nums[i + 1] === end + 1) end = nums[++i]!;
    parts.push(start === end ? String(start) : `${start}:${end}`);
    i++;
  }
  return parts.join(",");
}
