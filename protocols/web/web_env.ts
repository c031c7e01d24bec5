/**
 * The web UI's Hono environment and the per-request helper pages use (`pageOf`): the logged-in
 * principal, its CSRF token, the submitted form, and calls to the admin API as that principal.
 *
 * @module
 */
import type { Context, Hono } from "hono";
import type { ServerContext } from "../../core/context.ts";
import type { ApiBindings } from "../api/env.ts";
import { type ApiClient, ApiFailure, type ApiResult } from "./api_client.ts";
import type { Me, Notice } from "./layout.tsx";
import {
  type CookieContext,
  type CsrfTokens,
  encodeTokens,
  sessionCookieName,
  setCookie,
} from "./session.ts";
import type { WebTokens } from "./session.ts";

/** Hono environment of the web UI (same bindings as the admin API). */
export interface WebEnv {
  Bindings: ApiBindings;
  Variables: {
    tokens: WebTokens;
    me: Me;
    csrf: string;
    form: Record<string, string>;
  };
}

/** The web UI's Hono app. */
export type WebApp = Hono<WebEnv>;

/** A web request context. */
export type WebContext = Context<WebEnv>;

/** What every page module gets. */
export interface WebDeps {
  server: ServerContext;
  client: ApiClient;
  csrf: CsrfTokens;
}

/** Cookie facts of a request. */
export function cookieContext(c: Context): CookieContext {
  const env = c.env as ApiBindings | undefined;
  const host = c.req.header("host");
  return {
    secure: env?.session?.secure ?? false,
    remoteAddress: env?.session?.remoteAddress ?? "127.0.0.1",
    ...(host !== undefined ? { host } : {}),
  };
}

/** Longest a login cookie is kept by the browser (the refresh token's own expiry ends it sooner). */
export const COOKIE_MAX_AGE = 30 * 24 * 3600;

/** Writes the login cookie for these tokens. */
export function writeLoginCookie(c: Context, tokens: WebTokens): void {
  const ctx = cookieContext(c);
  c.header("Set-Cookie", setCookie(ctx, sessionCookieName(ctx), encodeTokens(tokens), COOKIE_MAX_AGE), {
    append: true,
  });
}

/** The helpers of a page request. */
export interface WebPage {
  me: Me;
  csrf: string;
  form: Record<string, string>;
  /** An admin-API call as the logged-in principal (path relative to /api/v1). */
  api<T>(method: string, path: string, body?: unknown): Promise<ApiResult<T>>;
  /** A GET that must succeed (else ApiFailure: the error page). */
  get<T>(path: string): Promise<T>;
}

/** The page helpers of a request that passed the login middleware. */
export function pageOf(c: WebContext, deps: WebDeps): WebPage {
  const tokens = c.get("tokens");
  const userAgent = c.req.header("user-agent");
  const api = <T>(method: string, path: string, body?: unknown) =>
    deps.client.call<T>(c.env, tokens, method, path, {
      ...(body !== undefined ? { body } : {}),
      ...(userAgent !== undefined ? { userAgent } : {}),
      onRefresh: (t) => writeLoginCookie(c, t),
    });
  return {
    me: c.get("me"),
    csrf: c.get("csrf"),
    form: c.get("form") ?? {},
    api,
    async get<T>(path: string) {
      const r = await api<T>("GET", path);
      if (!r.ok) throw new ApiFailure(r.problem ?? { title: "Error", status: r.status });
      return r.body;
    },
  };
}

/** Fixed confirmation messages, by code (`?done=`): nothing from the query string is echoed. */
export const DONE: Record<string, string> = {
  created: "Created.",
  deleted: "Deleted.",
  revoked: "Revoked.",
  saved: "Saved.",
  retried: "Retry scheduled.",
  processed: "Queue run started.",
  password: "Password changed.",
  ended: "Your session has ended: log in again.",
  loggedout: "Logged out.",
};

/** The notice of a `?done=` code, if known. */
export function doneNotice(c: Context): Notice | null {
  const code = c.req.query("done");
  const text = code !== undefined ? DONE[code] : undefined;
  return text ? { kind: "ok", text } : null;
}

/** A form field as a trimmed string ("" when absent). */
export function field(form: Record<string, string>, name: string): string {
  return (form[name] ?? "").trim();
}

/** A path segment, percent-encoded. */
export function seg(s: string | undefined): string {
  return encodeURIComponent(s ?? "");
}
