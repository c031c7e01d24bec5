/**
 * The authentication service used by every protocol: passwords and SASL exchanges, with
 * failed-attempt throttling per IP and per account.
 *
 * @module
 */
import type { Account } from "../store/types.ts";
import type { Protocol } from "../session.ts";

/** Who is trying to authenticate (for throttling and logs). */
export interface AuthContext {
  remoteAddress: string;
  protocol: Protocol;
  /** True when the connection is TLS-protected. */
  secure: boolean;
}

/** Outcome of an authentication attempt. */
export type AuthResult =
  | { ok: true; account: Account }
  | {
    ok: false;
    /** invalid: wrong credentials or unknown user; throttled: too many failures; disabled: account disabled. */
    reason: "invalid" | "throttled" | "disabled";
    /** When throttled, how long until another attempt may succeed. */
    retryAfterMs?: number;
  };

/** One step of a SASL exchange. Protocols base64-encode/decode on their side. */
export type SaslStep =
  | { done: false; challenge: Uint8Array }
  | {
    done: true;
    result: AuthResult;
    /**
     * Additional data with the outcome (RFC 4422 §5): SCRAM's server-final-message, `v=...` on
     * success or `e=...` on failure (RFC 5802 §7). On success a protocol without "additional data
     * with success" sends it as one more challenge and expects an empty response; on failure it may
     * be sent the same way or dropped.
     */
    serverFinal?: Uint8Array;
  };

/** A SASL exchange in progress (RFC 4422). */
export interface SaslExchange {
  readonly mechanism: string;
  /**
   * Feeds the client's next response (the initial response first, or null when the client sent
   * none). Returns a challenge to send, or the outcome. A malformed response is an "invalid" result.
   */
  step(response: Uint8Array | null): Promise<SaslStep>;
}

/** Verifies credentials for all protocols. */
export interface AuthService {
  /** Verifies a username/password pair (LOGIN, USER/PASS, HTTP Basic, SASL PLAIN). */
  verifyPassword(username: string, password: string, ctx: AuthContext): Promise<AuthResult>;
  /** SASL mechanisms to advertise, e.g. ["PLAIN", "LOGIN", "SCRAM-SHA-256"]. */
  mechanisms(): string[];
  /** Starts a SASL exchange; null for an unknown or disabled mechanism. */
  startSasl(mechanism: string, ctx: AuthContext): SaslExchange | null;
  /** Hashes a password into the secrets stored for an account (scrypt, SCRAM keys, CRAM-MD5 if enabled). */
  deriveSecrets(password: string): Promise<import("../store/types.ts").AccountSecrets>;
}
