/**
 * SASL SCRAM-SHA-256 (RFC 5802, RFC 7677), server side, without channel binding (no -PLUS).
 *
 * client-first -> server-first (salt, iterations, combined nonce) -> client-final (proof) -> outcome
 * with server-final `v=ServerSignature`, or `e=<error>` (RFC 5802 §7) when it fails.
 *
 * An unknown user (or one without a stored SCRAM secret) gets a salt derived from the name with a
 * per-process key, the usual iteration count, and fails at the proof like a wrong password
 * (RFC 5802 §5.1 permits either), so the exchange does not reveal which accounts exist.
 *
 * @module
 */
import { createHmac, randomBytes } from "node:crypto";
import type { AuthContext, AuthResult, SaslExchange, SaslStep } from "./types.ts";
import type { Authenticator } from "./authenticator.ts";
import {
  authMessage,
  formatServerError,
  formatServerFinal,
  formatServerFirst,
  parseClientFinal,
  parseClientFirst,
  parseScramSecret,
  SCRAM_DEFAULT_ITERATIONS,
  type ScramErrorValue,
  type ScramKeys,
  serverNonce,
  serverSignature,
  verifyClientProof,
} from "./scram.ts";
import { constantTimeEqual } from "./constant_time.ts";
import { saslprep } from "./saslprep.ts";
import { challenge, decodeResponse, done, encode, INVALID } from "./_sasl.ts";

/** Options of `createScramSha256Exchange`. */
export interface ScramExchangeOptions {
  /** Key for the fake salts of unknown users (one random key per service). */
  fakeSaltKey: Uint8Array;
  /** Iterations announced for unknown users (the count new secrets use). */
  iterations?: number;
  /** Server nonce source (tests inject RFC 7677's). */
  nonce?: () => string;
}

/** Starts a SCRAM-SHA-256 exchange. */
export function createScramSha256Exchange(
  auth: Authenticator,
  ctx: AuthContext,
  options: ScramExchangeOptions,
): SaslExchange {
  type State =
    | { name: "start" }
    | { name: "awaitFirst" }
    | {
      name: "awaitFinal";
      username: string;
      gs2Header: string;
      clientFirstBare: string;
      serverFirst: string;
      nonce: string;
      /** The stored secret the salt came from, or null for an unknown user. */
      secret: string | null;
      keys: ScramKeys | null;
    }
    | { name: "done" };
  let state: State = { name: "start" };

  const fail = (error: ScramErrorValue, result: AuthResult = INVALID): SaslStep => {
    state = { name: "done" };
    return done(result, encode(formatServerError(error)));
  };

  const fakeSalt = (username: string): Uint8Array =>
    new Uint8Array(createHmac("sha256", options.fakeSaltKey).update(username.toLowerCase()).digest()).slice(
      0,
      16,
    );

  const first = async (text: string): Promise<SaslStep> => {
    const parsed = parseClientFirst(text);
    if ("error" in parsed) return fail(parsed.error);
    // RFC 5802 §5.1: the user name is prepared with SASLprep.
    const username = saslprep(parsed.username);
    if (username === null || username === "") return fail("invalid-username-encoding");
    // No proxy authorization: an authzid must name the authenticating user.
    if (parsed.authzid !== null && parsed.authzid.toLowerCase() !== username.toLowerCase()) {
      return fail("other-error");
    }
    const refusal = await auth.throttled(username, ctx);
    if (refusal) return fail("other-error", refusal);
    const credentials = await auth.lookup(username);
    const secret = credentials?.secrets.scramSha256 ?? null;
    const keys = secret === null ? null : parseScramSecret(secret);
    const nonce = parsed.nonce + (options.nonce ?? serverNonce)();
    const serverFirst = keys
      ? formatServerFirst(nonce, keys.salt, keys.iterations)
      : formatServerFirst(nonce, fakeSalt(username), options.iterations ?? SCRAM_DEFAULT_ITERATIONS);
    state = {
      name: "awaitFinal",
      username,
      gs2Header: parsed.gs2Header,
      clientFirstBare: parsed.bare,
      serverFirst,
      nonce,
      secret: keys ? secret : null,
      keys,
    };
    return challenge(encode(serverFirst));
  };

  const final = async (text: string, s: Extract<State, { name: "awaitFinal" }>): Promise<SaslStep> => {
    const parsed = parseClientFinal(text);
    if ("error" in parsed) return fail(parsed.error);
    // RFC 5802 §6: without channel binding, c= is the base64 of the gs2-header as sent.
    if (!constantTimeEqual(parsed.channelBinding, encode(s.gs2Header))) {
      return fail("channel-bindings-dont-match");
    }
    if (parsed.nonce !== s.nonce) return fail("other-error");
    const message = authMessage(s.clientFirstBare, s.serverFirst, parsed.withoutProof);
    let signature: Uint8Array | null = null;
    const result = await auth.verify(s.username, ctx, (credentials) => {
      // The proof was computed from the salt sent in server-first: the secret must be unchanged.
      const keys = credentials && s.keys && credentials.secrets.scramSha256 === s.secret ? s.keys : null;
      const valid = verifyClientProof(keys ?? dummyKeys(), message, parsed.proof) && keys !== null;
      if (valid) signature = serverSignature(keys, message);
      return valid;
    });
    state = { name: "done" };
    if (result.ok && signature) return done(result, encode(formatServerFinal(signature)));
    return fail(result.ok === false && result.reason === "invalid" ? "invalid-proof" : "other-error", result);
  };

  return {
    mechanism: "SCRAM-SHA-256",
    async step(response: Uint8Array | null): Promise<SaslStep> {
      const current = state;
      if (current.name === "done") return done(INVALID);
      if (response === null) {
        if (current.name !== "start") return fail("other-error");
        // No initial response: an empty challenge asks for client-first (RFC 4422 §5).
        state = { name: "awaitFirst" };
        return challenge(new Uint8Array(0));
      }
      const text = decodeResponse(response);
      if (text === null) return fail("invalid-encoding");
      if (current.name === "awaitFinal") return await final(text, current);
      return await first(text);
    },
  };
}

/** Random keys no proof can match: the work done for an unknown user mirrors a real check. */
function dummyKeys(): ScramKeys {
  return {
    iterations: SCRAM_DEFAULT_ITERATIONS,
    salt: new Uint8Array(16),
    storedKey: new Uint8Array(randomBytes(32)),
    serverKey: new Uint8Array(randomBytes(32)),
  };
}
