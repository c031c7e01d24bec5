/**
 * SASL PLAIN (RFC 4616): `[authzid] NUL authcid NUL passwd` in one response.
 *
 * @module
 */
import type { AuthContext, SaslExchange, SaslStep } from "./types.ts";
import type { Authenticator } from "./authenticator.ts";
import { challenge, decodeResponse, done, INVALID } from "./_sasl.ts";

/** A parsed PLAIN message. */
export interface PlainMessage {
  authzid: string;
  authcid: string;
  password: string;
}

/**
 * Parses a PLAIN message (RFC 4616 §2): exactly two NULs, non-empty authcid and passwd, valid
 * UTF-8. Null when malformed.
 */
export function parsePlain(bytes: Uint8Array): PlainMessage | null {
  const text = decodeResponse(bytes);
  if (text === null) return null;
  const parts = text.split("\0");
  if (parts.length !== 3) return null;
  const [authzid, authcid, password] = parts as [string, string, string];
  if (authcid === "" || password === "") return null;
  return { authzid, authcid, password };
}

/**
 * Starts a PLAIN exchange. Tern has no proxy authorization: the authzid must be empty or the same
 * as the authcid (RFC 4616 §2), otherwise the attempt fails.
 */
export function createPlainExchange(auth: Authenticator, ctx: AuthContext): SaslExchange {
  let state: "start" | "challenged" | "done" = "start";
  return {
    mechanism: "PLAIN",
    async step(response: Uint8Array | null): Promise<SaslStep> {
      if (state === "done") return done(INVALID);
      if (response === null && state === "start") {
        // RFC 4616 §2: no initial response, so an empty challenge asks for the message.
        state = "challenged";
        return challenge(new Uint8Array(0));
      }
      state = "done";
      const message = response === null ? null : parsePlain(response);
      if (!message) return done(INVALID);
      if (message.authzid !== "" && message.authzid.toLowerCase() !== message.authcid.toLowerCase()) {
        return done(INVALID);
      }
      return done(await auth.verifyPassword(message.authcid, message.password, ctx));
    },
  };
}
