/**
 * Trusted front-end mode: a configured service signs each request with HMAC-SHA256 over the user,
 * tenant, session id, request id and timestamp headers, and then acts as that user. Stale
 * timestamps and replayed request ids are refused.
 *
 * Signature input (UTF-8, fields joined by LF):
 * `user \n tenant \n session-id \n request-id \n timestamp` with the timestamp in Unix seconds;
 * the signature is lowercase hex in `X-Tern-Signature`.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";

/** Header names of a trusted request. */
export const TrustedHeader = {
  service: "X-Tern-Service",
  user: "X-Tern-User",
  tenant: "X-Tern-Tenant",
  session: "X-Tern-Session",
  requestId: "X-Tern-Request-Id",
  timestamp: "X-Tern-Timestamp",
  signature: "X-Tern-Signature",
} as const;

/** Fields signed by a trusted service. */
export interface TrustedFields {
  user: string;
  tenant: string;
  session: string;
  requestId: string;
  /** Unix seconds. */
  timestamp: number;
}

/** The HMAC-SHA256 signature (hex) of the fields. */
export function signTrusted(secret: string, f: TrustedFields): string {
  return createHmac("sha256", secret)
    .update([f.user, f.tenant, f.session, f.requestId, String(f.timestamp)].join("\n"))
    .digest("hex");
}

/** Outcome of verifying a trusted request. */
export type TrustedResult =
  | { ok: true; service: string; user: string; tenant: string }
  | { ok: false; reason: string };

/** Remembers recent request ids (bounded) to refuse replays within the timestamp window. */
export class ReplayGuard {
  readonly #seen = new Map<string, number>();
  /** @param maxEntries bound on remembered ids (oldest are forgotten first) */
  constructor(readonly maxEntries = 100_000) {}

  /** True the first time an id is seen within `windowMs`; false for a replay. */
  claim(id: string, nowMs: number, windowMs: number): boolean {
    for (const [k, t] of this.#seen) {
      if (nowMs - t <= windowMs && this.#seen.size < this.maxEntries) break;
      this.#seen.delete(k);
    }
    if (this.#seen.has(id)) return false;
    this.#seen.set(id, nowMs);
    return true;
  }
}

/**
 * Verifies the trusted headers of a request against the configured services. Returns null when
 * the request carries no trusted headers at all.
 */
export function verifyTrusted(
  headers: Headers,
  services: readonly { name: string; hmac_secret?: string }[],
  nowMs: number,
  maxSkewSeconds: number,
  replay: ReplayGuard,
): TrustedResult | null {
  const get = (h: string) => headers.get(h);
  const signature = get(TrustedHeader.signature);
  const serviceName = get(TrustedHeader.service);
  if (signature === null && serviceName === null) return null;
  const service = services.find((s) => s.name === serviceName && s.hmac_secret);
  if (!service) return { ok: false, reason: "unknown trusted service" };
  const user = get(TrustedHeader.user);
  const tenant = get(TrustedHeader.tenant) ?? "";
  const session = get(TrustedHeader.session) ?? "";
  const requestId = get(TrustedHeader.requestId);
  const ts = get(TrustedHeader.timestamp);
  if (
    !user || !requestId || !ts || !/^\d{1,12}$/.test(ts) || !signature || !/^[0-9a-f]{64}$/i.test(signature)
  ) {
    return { ok: false, reason: "incomplete trusted headers" };
  }
  const expected = signTrusted(service.hmac_secret!, {
    user,
    tenant,
    session,
    requestId,
    timestamp: Number(ts),
  });
  if (!timingSafeEqual(Buffer.from(expected, "hex"), Buffer.from(signature.toLowerCase(), "hex"))) {
    return { ok: false, reason: "bad signature" };
  }
  if (Math.abs(nowMs / 1000 - Number(ts)) > maxSkewSeconds) return { ok: false, reason: "stale timestamp" };
  if (!replay.claim(`${service.name}\n${requestId}`, nowMs, maxSkewSeconds * 2000)) {
    return { ok: false, reason: "replayed request id" };
  }
  return { ok: true, service: service.name, user, tenant };
}
