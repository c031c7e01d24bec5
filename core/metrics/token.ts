/**
 * The `[metrics] token` check of `GET /metrics` and `GET /health/detailed`: an RFC 6750 §2.1
 * `Authorization: Bearer` credential compared in constant time. Pure: headers in, verdict out.
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";

/** SHA-256 of a string: equal-length digests let `timingSafeEqual` compare any two tokens. */
function digest(s: string): Uint8Array {
  return createHash("sha256").update(s).digest();
}

/**
 * Whether a request may read the metrics: always when no token is configured, else only with
 * `Authorization: Bearer <token>` (scheme case-insensitive, RFC 9110 §11.1).
 */
export function metricsAuthorized(token: string | undefined, authorization: string | null): boolean {
  if (token === undefined || token === "") return true;
  if (authorization === null) return false;
  const m = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(authorization);
  if (!m) return false;
  return timingSafeEqual(digest(m[1]!), digest(token));
}

/** The challenge sent with a 401 (RFC 6750 §3). */
export const METRICS_CHALLENGE = 'Bearer realm="tern-metrics"';
