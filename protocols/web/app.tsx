/** @jsxImportSource hono/jsx */
/**
 * The web admin and account self-service UI, mounted on the HTTP listener next to JMAP and the
 * admin API: `/login`, `/logout`, `/account/…` (every user) and `/admin/…` (organization and
 * platform administrators), plus its stylesheet. Server-rendered `hono/jsx` pages without script;
 * every datum is read and changed through the admin API in process (api_client.ts), so the API's
 * authentication, throttling, authorization, plan limits and audit apply unchanged.
 *
 * Every response carries a strict Content-Security-Policy (`default-src 'self'`, no script at
 * all, no framing); every POST needs a same-origin request and the session's CSRF token
 * (session.ts explains the cookie and the tokens).
 *
 * @module
 */
import { Hono } from "hono";
import type { MiddlewareHandler } from "hono";
import type { ServerContext } from "../../core/context.ts";
import { ApiClient, ApiFailure, type InProcessFetch, problemText, SessionEnded } from "./api_client.ts";
import { Csrf, Field, isAdmin, Layout, type Me } from "./layout.tsx";
import {
  CsrfTokens,
  decodeTokens,
  loginCookieName,
  randomToken,
  readCookie,
  sameOriginRequest,
  sameToken,
  sessionCookieName,
  setCookie,
} from "./session.ts";
import { STYLE_PATH, STYLESHEET } from "./style.ts";
import {
  cookieContext,
  doneNotice,
  field,
  type WebApp,
  type WebContext,
  type WebDeps,
  type WebEnv,
  writeLoginCookie,
} from "./web_env.ts";
import * as account from "./pages/account.tsx";
import * as admin from "./pages/admin.tsx";
import * as adminOps from "./pages/admin_ops.tsx";
import * as filters from "./pages/filters.tsx";

/** The Content-Security-Policy of every web UI response: nothing but this origin, no script. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'none'",
  "style-src 'self'",
  "img-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join("; ");

/** Largest form body read (a Sieve script is the largest field). */
export const MAX_FORM_BODY = 256 * 1024;

/** The paths the web UI answers (the HTTP app routes them here). */
export const WEB_PATHS = ["/login", "/logout", "/account", "/account/*", "/admin", "/admin/*", STYLE_PATH];

function securityHeaders(): MiddlewareHandler<WebEnv> {
  return async function securityHeaders(c, next) {
    await next();
    const h = c.res.headers;
    h.set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
    h.set("X-Content-Type-Options", "nosniff");
    h.set("X-Frame-Options", "DENY");
    // Not no-referrer: under it browsers send `Origin: null` with same-origin form posts.
    h.set("Referrer-Policy", "same-origin");
    h.set("Cross-Origin-Opener-Policy", "same-origin");
    if (!h.has("Cache-Control")) h.set("Cache-Control", "no-store");
  };
}

/** Plain page for refusals (no session needed). */
function refusal(c: WebContext, status: 400 | 403 | 404 | 413, text: string): Response | Promise<Response> {
  return c.html(
    <Layout title={status === 404 ? "Not found" : "Request refused"} notice={{ kind: "error", text }} />,
    status,
  );
}

/** POST bodies: bounded, same-origin, parsed into `form`. */
function formBody(): MiddlewareHandler<WebEnv> {
  return async function formBody(c, next) {
    if (c.req.method !== "POST") return await next();
    const declared = Number(c.req.header("content-length") ?? "0");
    if (!Number.isFinite(declared) || declared > MAX_FORM_BODY) {
      return refusal(c, 413, "The form is too large.");
    }
    if (!sameOriginRequest(c.req.raw.headers, c.req.url)) {
      return refusal(c, 403, "Cross-site form submissions are refused.");
    }
    const type = c.req.header("content-type") ?? "";
    if (!/^application\/x-www-form-urlencoded\b/i.test(type)) {
      return refusal(c, 400, "Forms must be sent as application/x-www-form-urlencoded.");
    }
    const text = await c.req.text();
    if (text.length > MAX_FORM_BODY) return refusal(c, 413, "The form is too large.");
    const form: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(text)) if (!(k in form)) form[k] = v;
    c.set("form", form);
    await next();
  };
}

function clearLogin(c: WebContext): void {
  const ctx = cookieContext(c);
  c.header("Set-Cookie", setCookie(ctx, sessionCookieName(ctx), "", 0), { append: true });
}

/** Logged-in pages: the cookie's tokens, the caller (`/auth/me`), and the CSRF check on POST. */
function requireLogin(deps: WebDeps): MiddlewareHandler<WebEnv> {
  return async function requireLogin(c, next) {
    const ctx = cookieContext(c);
    const tokens = decodeTokens(readCookie(c.req.header("cookie"), sessionCookieName(ctx)));
    if (!tokens) {
      if (c.req.method === "POST") return refusal(c, 403, "Not logged in.");
      return c.redirect("/login", 303);
    }
    c.set("tokens", tokens);
    const userAgent = c.req.header("user-agent");
    const me = await deps.client.call<Me>(c.env, tokens, "GET", "/auth/me", {
      ...(userAgent !== undefined ? { userAgent } : {}),
      onRefresh: (t) => writeLoginCookie(c, t),
    });
    if (!me.ok) throw new ApiFailure(me.problem ?? { title: "Error", status: me.status });
    c.set("me", me.body);
    c.set("csrf", await deps.csrf.tokenFor(tokens.sessionId));
    if (c.req.method === "POST" && !(await deps.csrf.check(tokens.sessionId, c.get("form")?.csrf))) {
      return refusal(c, 403, "The form's security token is missing or stale: reload the page and try again.");
    }
    await next();
  };
}

function requireAdmin(): MiddlewareHandler<WebEnv> {
  return async function requireAdmin(c, next) {
    if (!isAdmin(c.get("me"))) return refusal(c, 404, "No such page.");
    await next();
  };
}

function LoginPage(props: { token: string; address?: string; error?: string; info?: string }) {
  return (
    <Layout
      title="Log in"
      notice={props.error
        ? { kind: "error", text: props.error }
        : props.info
        ? { kind: "ok", text: props.info }
        : null}
    >
      <form method="post" action="/login" class="card">
        <Csrf token={props.token} />
        <Field
          name="address"
          label="Email address"
          type="email"
          value={props.address}
          required
          autocomplete="username"
        />
        <Field name="password" label="Password" type="password" required autocomplete="current-password" />
        <button type="submit">Log in</button>
      </form>
    </Layout>
  );
}

function registerLogin(app: WebApp, deps: WebDeps): void {
  const loginForm = (
    c: WebContext,
    status: 200 | 401 | 403 | 429,
    props: { address?: string; error?: string },
  ) => {
    const ctx = cookieContext(c);
    const token = randomToken();
    c.header("Set-Cookie", setCookie(ctx, loginCookieName(ctx), token, 3600), { append: true });
    const info = doneNotice(c)?.text;
    return c.html(<LoginPage token={token} {...props} {...(info ? { info } : {})} />, status);
  };

  app.get("/login", (c) => loginForm(c, 200, {}));

  app.post("/login", async (c) => {
    const ctx = cookieContext(c);
    const form = c.get("form");
    // Double-submit token before there is a session: the form's value must equal the cookie's.
    const cookie = readCookie(c.req.header("cookie"), loginCookieName(ctx));
    if (cookie === undefined || !sameToken(cookie, form.csrf ?? "")) {
      return refusal(c, 403, "The form's security token is missing or stale: reload the page and try again.");
    }
    const address = field(form, "address");
    const userAgent = c.req.header("user-agent");
    // The API's login: same credentials check, throttling and audit as every client.
    const r = await deps.client.raw<{ accessToken: string; refreshToken: string; sessionId: string }>(
      c.env,
      "POST",
      "/auth/login",
      { body: { address, password: form.password ?? "" }, ...(userAgent !== undefined ? { userAgent } : {}) },
    );
    if (!r.ok) {
      const status = r.status === 429 ? 429 : r.status === 403 ? 403 : 401;
      return loginForm(c, status, { address, error: r.problem ? problemText(r.problem) : "Login failed." });
    }
    writeLoginCookie(c, r.body);
    c.header("Set-Cookie", setCookie(ctx, loginCookieName(ctx), "", 0), { append: true });
    return c.redirect("/account", 303);
  });

  app.post("/logout", requireLogin(deps), async (c) => {
    const tokens = c.get("tokens");
    await deps.client.raw(c.env, "POST", "/auth/logout", { token: tokens.accessToken });
    clearLogin(c);
    return c.redirect("/login?done=loggedout", 303);
  });
}

/** Creates the web UI app; `fetch` calls the HTTP app the admin API is mounted on. */
export function createWebApp(server: ServerContext, fetch: InProcessFetch): WebApp {
  const deps: WebDeps = { server, client: new ApiClient(fetch), csrf: new CsrfTokens() };
  const app: WebApp = new Hono<WebEnv>();
  // Scoped to the web UI's paths: the sub-app's middleware must not touch JMAP or the API.
  for (const path of WEB_PATHS) app.use(path, securityHeaders());
  app.get(STYLE_PATH, (c) =>
    c.body(STYLESHEET, 200, {
      "content-type": "text/css; charset=utf-8",
      "cache-control": "public, max-age=3600",
    }));
  for (const path of WEB_PATHS) if (path !== STYLE_PATH) app.use(path, formBody());

  app.onError((err, c) => {
    if (err instanceof SessionEnded) {
      clearLogin(c);
      return c.redirect("/login?done=ended", 303);
    }
    if (err instanceof ApiFailure) {
      const status = err.problem.status;
      const code = status === 403 || status === 404 || status === 400 ? status : 400;
      return c.html(
        <Layout title="Error" notice={{ kind: "error", text: problemText(err.problem) }}>
          <p>
            <a href="/account">Back to your account</a>
          </p>
        </Layout>,
        code,
      );
    }
    server.log.error("web UI request failed", { error: String(err) });
    return c.html(<Layout title="Error" notice={{ kind: "error", text: "Internal server error." }} />, 500);
  });

  registerLogin(app, deps);
  app.use("/account", requireLogin(deps));
  app.use("/account/*", requireLogin(deps));
  app.use("/admin", requireLogin(deps), requireAdmin());
  app.use("/admin/*", requireLogin(deps), requireAdmin());
  account.register(app, deps);
  filters.register(app, deps);
  admin.register(app, deps);
  adminOps.register(app, deps);
  return app;
}

/** Mounts the web UI on the HTTP app (which already has the admin API at /api/v1). */
export function mountWeb<
  H extends {
    route(path: string, app: WebApp): unknown;
    request(input: string, init: RequestInit, env: unknown): Response | Promise<Response>;
  },
>(http: H, server: ServerContext): H {
  http.route("/", createWebApp(server, (path, init, env) => http.request(path, init, env)));
  return http;
}
