/**
 * The web UI's login state and CSRF tokens.
 *
 * A browser login is an admin-API login session (core/api_auth): the access and refresh tokens
 * that `POST /api/v1/auth/login` returned are kept in one cookie, `HttpOnly; SameSite=Strict;
 * Secure; Path=/`, never readable by scripts. Revoking the API session (from any device, the CLI or
 * a password change) therefore logs the browser out at its next request.
 *
 * `Secure` (and the `__Host-` name prefix, which needs it) is left out only when the request came
 * over plain HTTP from a loopback address AND was addressed to a loopback host (`Host:
 * 127.0.0.1:…`, `localhost`, `[::1]`): a browser on the same machine talking to a test listener.
 * Every other request, including those a same-host reverse proxy forwards for a public name, gets a
 * Secure cookie, which a browser never sends back over plain HTTP.
 *
 * CSRF (OWASP synchronizer token): every form carries `csrf`, an HMAC of the login session id
 * under a key of this process, checked on every POST; before login a double-submit token (a
 * random cookie echoed by the login form). POSTs whose `Origin` or `Sec-Fetch-Site` says
 * cross-site are refused first.
 *
 * @module
 */
import { decodeBase64Url, encodeBase64Url } from "./base64url.ts";

/** The tokens of a browser's login session. */
export interface WebTokens {
  /** JWT access token (15 minutes). */
  accessToken: string;
  /** Rotating refresh token. */
  refreshToken: string;
  /** The admin-API login session id. */
  sessionId: string;
}

/** Cookie facts of a request: whether `Secure` applies. */
export interface CookieContext {
  /** The connection is TLS. */
  secure: boolean;
  /** The client's IP address. */
  remoteAddress: string;
  /** The request's `Host` header (absent: not loopback). */
  host?: string;
}

/** Largest cookie value read (browsers cap a cookie at 4096 octets). */
export const MAX_COOKIE = 4096;

/** Whether an address is loopback (127.0.0.0/8, ::1, or IPv4-mapped loopback). */
export function isLoopback(address: string): boolean {
  const a = address.replace(/^::ffff:/i, "");
  return a === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}

/** Whether a `Host` header names the loopback interface (127.0.0.0/8, `[::1]`, `localhost`), any port. */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:]+))(?::\d{1,5})?$/.exec(host.trim());
  if (!m) return false;
  const name = (m[1] ?? m[2] ?? "").toLowerCase();
  return name === "localhost" || isLoopback(name);
}

/** Whether cookies of this request get `Secure`: always, except plain HTTP between loopback ends. */
export function secureCookies(ctx: CookieContext): boolean {
  return ctx.secure || !isLoopback(ctx.remoteAddress) || !isLoopbackHost(ctx.host);
}

/** The login cookie's name: `__Host-tern_web` when Secure (RFC 6265bis §4.1.3.2), else `tern_web`. */
export function sessionCookieName(ctx: CookieContext): string {
  return secureCookies(ctx) ? "__Host-tern_web" : "tern_web";
}

/** The pre-login double-submit cookie's name. */
export function loginCookieName(ctx: CookieContext): string {
  return secureCookies(ctx) ? "__Host-tern_login" : "tern_login";
}

/** A `Set-Cookie` value with the attributes every cookie of the web UI has. */
export function setCookie(ctx: CookieContext, name: string, value: string, maxAgeSeconds?: number): string {
  const attrs = [`${name}=${value}`, "Path=/", "HttpOnly", "SameSite=Strict"];
  if (secureCookies(ctx)) attrs.push("Secure");
  if (maxAgeSeconds !== undefined) attrs.push(`Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`);
  return attrs.join("; ");
}

/** Reads one cookie from a `Cookie` header (RFC 6265 §5.4), or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header || header.length > 16 * MAX_COOKIE) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      return value.length <= MAX_COOKIE ? value : undefined;
    }
  }
  return undefined;
}

/** Encodes the tokens as a cookie value (base64url of JSON: only cookie-octets, RFC 6265 §4.1.1). */
export function encodeTokens(t: WebTokens): string {
  return encodeBase64Url(
    new TextEncoder().encode(JSON.stringify([t.accessToken, t.refreshToken, t.sessionId])),
  );
}

/** Decodes a cookie value written by `encodeTokens`; null when malformed. */
export function decodeTokens(value: string | undefined): WebTokens | null {
  if (!value || value.length > MAX_COOKIE || !/^[A-Za-z0-9_-]+$/.test(value)) return null;
  try {
    const v: unknown = JSON.parse(new TextDecoder().decode(decodeBase64Url(value)));
    if (!Array.isArray(v) || v.length !== 3 || !v.every((s) => typeof s === "string" && s.length > 0)) {
      return null;
    }
    return { accessToken: v[0], refreshToken: v[1], sessionId: v[2] };
  } catch {
    return null;
  }
}

/** A random token (32 octets, base64url). */
export function randomToken(): string {
  return encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)));
}

/** Constant-time comparison of two strings. */
export function sameToken(a: string, b: string): boolean {
  if (a.length !== b.length || a.length === 0) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Makes and checks the synchronizer CSRF tokens of login sessions. */
export class CsrfTokens {
  readonly #key: Promise<CryptoKey>;

  /** @param secret the HMAC key (random per process unless given) */
  constructor(secret: Uint8Array = crypto.getRandomValues(new Uint8Array(32))) {
    this.#key = crypto.subtle.importKey(
      "raw",
      secret as Uint8Array<ArrayBuffer>,
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
  }

  /** The CSRF token of a login session. */
  async tokenFor(sessionId: string): Promise<string> {
    const mac = await crypto.subtle.sign(
      "HMAC",
      await this.#key,
      new TextEncoder().encode(`tern-web-csrf\0${sessionId}`),
    );
    return encodeBase64Url(new Uint8Array(mac));
  }

  /** Whether `given` is the CSRF token of the session. */
  async check(sessionId: string, given: string | undefined): Promise<boolean> {
    if (given === undefined) return false;
    return sameToken(await this.tokenFor(sessionId), given);
  }
}

/**
 * Whether a state-changing request may come from this page's own origin: refused when
 * `Sec-Fetch-Site` is `cross-site` or `same-site` (Fetch Metadata), or when `Origin` is present
 * and is not the request's own origin (the `Host` it was sent to).
 */
export function sameOriginRequest(headers: Headers, requestUrl: string): boolean {
  const site = headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") return false;
  const origin = headers.get("origin");
  if (origin === null) return true;
  if (origin === "null") return false;
  const host = headers.get("host");
  try {
    const o = new URL(origin);
    const u = new URL(requestUrl);
    return o.host === (host ?? u.host);
  } catch {
    return false;
  }
}
