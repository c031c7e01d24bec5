/**
 * Constant-time comparison of secrets (digests, proofs, keys).
 *
 * @module
 */
import { timingSafeEqual } from "node:crypto";

/**
 * Compares two byte strings in time that depends only on their lengths, never on where they
 * differ (`crypto.timingSafeEqual`). Strings of different lengths are unequal; `a` is still compared
 * with itself so the work done stays the same.
 *
 * @example
 * ```ts
 * constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])); // true
 * ```
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) {
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}
