/**
 * Admin-API access tokens: short-lived JWTs (RFC 7519) signed HS256 with the data directory's key
 * (signing_key.ts), through `jose`. Claims: `sub` (account id), `sid` (login session), `iat`,
 * `exp`, `jti`, issuer and audience fixed. A token is only as good as its session: the
 * authenticator also checks that the session is not revoked.
 *
 * @module
 */
import { errors, jwtVerify, SignJWT } from "jose";

/** `iss` of every access token. */
export const ACCESS_ISSUER = "tern";
/** `aud` of every access token. */
export const ACCESS_AUDIENCE = "tern-admin-api";

/** What a valid access token says. */
export interface AccessClaims {
  accountId: string;
  sessionId: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

/** Signs an access token for a session, valid `ttlSeconds` from `now`. */
export async function signAccessToken(
  key: Uint8Array,
  claims: { accountId: string; sessionId: string },
  now: Date,
  ttlSeconds: number,
): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  return await new SignJWT({ sid: claims.sessionId })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(claims.accountId)
    .setIssuer(ACCESS_ISSUER)
    .setAudience(ACCESS_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSeconds)
    .setJti(crypto.randomUUID())
    .sign(key);
}

/** The claims of a valid token, or null (bad signature, expired, wrong issuer or audience, malformed). */
export async function verifyAccessToken(
  key: Uint8Array,
  token: string,
  now: Date,
): Promise<AccessClaims | null> {
  if (token.length > 4096) return null;
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: ["HS256"],
      issuer: ACCESS_ISSUER,
      audience: ACCESS_AUDIENCE,
      currentDate: now,
      requiredClaims: ["sub", "exp", "iat"],
    });
    if (
      typeof payload.sub !== "string" || typeof payload.sid !== "string" || typeof payload.exp !== "number"
    ) {
      return null;
    }
    return { accountId: payload.sub, sessionId: payload.sid, exp: payload.exp };
  } catch (err) {
    if (err instanceof errors.JOSEError) return null;
    throw err;
  }
}

/** True when the text looks like a JWT (three base64url parts), not a `tern_` API token. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}
