/**
 * SASL LOGIN (draft-murchison-sasl-login, never an RFC but what Outlook and many devices use): the
 * server asks "Username:" then "Password:", the client answers each. A client may send the user
 * name as an initial response.
 *
 * @module
 */
import type { AuthContext, SaslExchange, SaslStep } from "./types.ts";
import type { Authenticator } from "./authenticator.ts";
import { challenge, decodeResponse, done, encode, INVALID } from "./_sasl.ts";

/** The challenges, sent verbatim (protocols base64-encode them). */
export const LOGIN_USERNAME_CHALLENGE = "Username:";
/** Second challenge of LOGIN. */
export const LOGIN_PASSWORD_CHALLENGE = "Password:";

/** Starts a LOGIN exchange. */
export function createLoginExchange(auth: Authenticator, ctx: AuthContext): SaslExchange {
  let state: "start" | "username" | "password" | "done" = "start";
  let username = "";
  return {
    mechanism: "LOGIN",
    async step(response: Uint8Array | null): Promise<SaslStep> {
      switch (state) {
        case "start":
          if (response === null) {
            state = "username";
            return challenge(encode(LOGIN_USERNAME_CHALLENGE));
          }
        // An initial response is the user name.
        // falls through
        case "username": {
          const text = response === null ? null : decodeResponse(response);
          if (text === null || text === "" || text.includes("\0")) {
            state = "done";
            return done(INVALID);
          }
          username = text;
          state = "password";
          return challenge(encode(LOGIN_PASSWORD_CHALLENGE));
        }
        case "password": {
          state = "done";
          const password = response === null ? null : decodeResponse(response);
          if (password === null || password === "" || password.includes("\0")) return done(INVALID);
          return done(await auth.verifyPassword(username, password, ctx));
        }
        case "done":
          return done(INVALID);
      }
    },
  };
}
