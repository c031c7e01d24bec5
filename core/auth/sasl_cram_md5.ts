/**
 * SASL CRAM-MD5 (RFC 2195): the server sends a unique challenge, the client answers with its user
 * name, a space and the lowercase hex HMAC-MD5 of the challenge keyed with the password.
 *
 * CRAM-MD5 needs a plaintext-equivalent secret on the server, so it is offered only when
 * `auth.cram_md5` is enabled and works only for accounts whose secrets were derived while it was.
 *
 * @module
 */
import { createHmac, randomBytes } from "node:crypto";
import { Buffer } from "node:buffer";
import type { Clock } from "../clock.ts";
import type { AuthContext, SaslExchange, SaslStep } from "./types.ts";
import type { Authenticator } from "./authenticator.ts";
import { constantTimeEqual } from "./constant_time.ts";
import { challenge, decodeResponse, done, encode, INVALID } from "./_sasl.ts";

/** The stored CRAM-MD5 secret: the password's UTF-8 bytes, base64 (RFC 2195 keys HMAC with them). */
export function createCramMd5Secret(password: string): string {
  return Buffer.from(password, "utf8").toString("base64");
}

/** HMAC-MD5 of `challenge` keyed with `key`, as RFC 2195 §2 specifies. */
export function cramMd5Digest(key: Uint8Array, challengeText: string): Uint8Array {
  return new Uint8Array(createHmac("md5", key).update(challengeText).digest());
}

/** Makes a unique challenge in the msg-id form RFC 2195 §2 shows: `<random.timestamp@hostname>`. */
export function cramMd5Challenge(hostname: string, clock: Clock): string {
  const random = BigInt(`0x${Buffer.from(randomBytes(8)).toString("hex")}`).toString();
  return `<${random}.${clock.now().getTime()}@${hostname}>`;
}

/** Starts a CRAM-MD5 exchange. */
export function createCramMd5Exchange(
  auth: Authenticator,
  ctx: AuthContext,
  hostname: string,
  clock: Clock,
): SaslExchange {
  let state: "start" | "challenged" | "done" = "start";
  const challengeText = cramMd5Challenge(hostname, clock);
  return {
    mechanism: "CRAM-MD5",
    async step(response: Uint8Array | null): Promise<SaslStep> {
      if (state === "start" && response === null) {
        state = "challenged";
        return challenge(encode(challengeText));
      }
      // CRAM-MD5 has no initial response: the server speaks first.
      if (state !== "challenged" || response === null) {
        state = "done";
        return done(INVALID);
      }
      state = "done";
      const text = decodeResponse(response);
      // RFC 2195 §2: user name, a space, then 32 lowercase hex digits.
      const match = text === null ? null : /^(.+) ([0-9a-fA-F]{32})$/s.exec(text);
      if (!match) return done(INVALID);
      const username = match[1]!;
      const digest = new Uint8Array(Buffer.from(match[2]!, "hex"));
      return done(
        await auth.verify(username, ctx, (credentials) => {
          const secret = credentials?.secrets.cramMd5;
          // Unknown user or no CRAM-MD5 secret: the same HMAC over a random key, then refuse.
          const key = secret === undefined ? new Uint8Array(randomBytes(16)) : Buffer.from(secret, "base64");
          const matches = constantTimeEqual(cramMd5Digest(key, challengeText), digest);
          return matches && secret !== undefined;
        }),
      );
    },
  };
}
