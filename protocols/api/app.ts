/**
 * The admin REST API (`/api/v1`): an OpenAPI-aware Hono sub-app mounted on the HTTP listener's
 * app next to JMAP (`mountApi`). It gives every request an `X-Request-Id`, answers every error as
 * problem details (RFC 9457, problem.ts), bounds request bodies, authenticates callers on the routes
 * that need one (core/api_auth) and serves its own OpenAPI 3.1 description (`/openapi.json`) and a
 * self-contained reference page (`/reference`). Resources are added as route modules
 * (routes/mod.ts explains how).
 *
 * @module
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { ServerContext } from "../../core/context.ts";
import { AuditLog } from "../../core/audit/audit_log.ts";
import { createOrgResolver } from "../../core/authz/roles.ts";
import { ApiSessions } from "../../core/api_auth/sessions.ts";
import { ApiAuthenticator } from "../../core/api_auth/authenticate.ts";
import { loadOrCreateSigningKey } from "../../core/api_auth/signing_key.ts";
import { tenancyOf } from "../../core/tenancy/policy.ts";
import type { ApiDeps, ApiEnv } from "./env.ts";
import { ApiProblem, problemResponse, ProblemType } from "./problem.ts";
import { registerRoutes } from "./routes/mod.ts";
import { problemFromCore } from "./core_errors.ts";
import { renderReference } from "./reference_page.ts";

/** Where the API is mounted on the HTTP app. */
export const API_BASE = "/api/v1";

/** The request id header (echoed, or generated when absent or malformed). */
export const REQUEST_ID_HEADER = "X-Request-Id";

/** Largest request body the API reads (1 MiB): every admin payload is small. */
export const MAX_BODY = 1024 * 1024;

/** Metadata of the OpenAPI document. */
export const OPENAPI_INFO = {
  title: "Tern admin API",
  version: "1",
  description: "Administration of a Tern mail server: directory, sessions, audit, operations.",
} as const;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The services of the API for a server (the signing key is read from the data directory on first use). */
export function createApiDeps(server: ServerContext): ApiDeps {
  let key: Promise<Uint8Array> | null = null;
  const keyOf = () =>
    key ??= loadOrCreateSigningKey(server.config.data_dir).catch((err) => {
      key = null;
      throw err;
    });
  const audit = new AuditLog(server.store.audit, server.clock, server.log);
  const orgs = createOrgResolver(server);
  const sessions = new ApiSessions(server, keyOf, audit, orgs);
  const authenticator = new ApiAuthenticator(server, { sessions, orgs, key: keyOf, audit });
  return { server, sessions, authenticator, audit, orgs };
}

/**
 * The auth middleware: authenticates the request (Bearer access token, API token, trusted front
 * end) and sets `principal` and `account`, or answers 401/403 as problem details with the
 * RFC 6750 §3 challenge.
 */
export function requireAuth(deps: ApiDeps): MiddlewareHandler<ApiEnv> {
  return async function requireAuth(c, next) {
    const session = c.env?.session;
    const outcome = await deps.authenticator.authenticate({
      headers: c.req.raw.headers,
      remoteAddress: session?.remoteAddress ?? "127.0.0.1",
      secure: session?.secure ?? false,
      allowPlaintext: deps.server.config.listeners.http.allow_plaintext_auth !== false,
      requestId: c.get("requestId"),
      ...(c.env?.clientCertSubject !== undefined ? { clientCertSubject: c.env.clientCertSubject } : {}),
      ...(c.env?.clientCertError !== undefined ? { clientCertError: c.env.clientCertError } : {}),
    });
    if (!outcome.ok) {
      const headers: Record<string, string> = {};
      // RFC 6750 §3: the challenge with every 401.
      if (outcome.status === 401) headers["WWW-Authenticate"] = 'Bearer realm="Tern"';
      if (outcome.retryAfterMs !== undefined) {
        headers["Retry-After"] = String(Math.ceil(outcome.retryAfterMs / 1000));
      }
      throw new ApiProblem(outcome.status, outcome.detail, { headers });
    }
    if (outcome.principal.role !== "platform-admin" && c.env?.webUi !== true) {
      // The organization's plan: API access and its monthly call allowance (core/tenancy); an
      // allowed call is counted. The web UI's own calls (bindings set in process) are not API use.
      const verdict = await tenancyOf(deps.server).apiCall({ orgId: outcome.principal.orgId });
      if (verdict === "noApiAccess") throw new ApiProblem(403, "The organization's plan has no API access.");
      if (verdict === "overLimit") {
        throw new ApiProblem(429, "The organization's monthly API calls are used up.", {
          type: ProblemType.throttled,
        });
      }
    }
    c.set("principal", outcome.principal);
    c.set("account", outcome.account);
    c.env?.setUser?.(outcome.account.address);
    c.set("log", c.get("log").with({ username: outcome.account.address }));
    await next();
  };
}

/**
 * What `requireAuth` answers for any secured operation besides the operation's own statuses: the
 * organization's plan without API access (403) or its monthly calls used up (429).
 */
export const AUTH_PROBLEMS: Readonly<Record<string, string>> = {
  "403": "The organization's plan has no API access.",
  "429": "The organization's monthly API calls are used up.",
};

type DocOperation = { security?: unknown[]; responses?: Record<string, unknown> };

/**
 * The OpenAPI 3.1 document of an API app: the routes' declarations, and on every secured
 * operation the responses of the auth middleware it runs behind.
 */
export function openApiDocument(app: OpenAPIHono<ApiEnv>): Record<string, unknown> {
  const doc = app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: { ...OPENAPI_INFO },
    servers: [{ url: API_BASE }],
  }) as unknown as { paths?: Record<string, Record<string, DocOperation>> };
  for (const item of Object.values(doc.paths ?? {})) {
    for (const method of ["get", "put", "post", "delete", "patch"]) {
      const op = item[method];
      if (!op?.responses || !op.security?.length) continue;
      for (const [status, description] of Object.entries(AUTH_PROBLEMS)) {
        op.responses[status] ??= {
          description,
          content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
        };
      }
    }
  }
  return doc as Record<string, unknown>;
}

/** Creates the admin API app (routes relative to `/api/v1`). */
export function createApiApp(
  server: ServerContext,
  deps: ApiDeps = createApiDeps(server),
): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>({
    // A request that does not match its route's schema: 400 with every offending field.
    defaultHook: (result, c) => {
      if (result.success) return;
      const errors = result.error.issues.slice(0, 50).map((i) => ({
        pointer: [result.target, ...i.path.map(String)].join("."),
        detail: i.message,
      }));
      return problemResponse(
        new ApiProblem(400, "The request is not valid.", { type: ProblemType.validation, errors }),
        c.get("requestId"),
      );
    },
  });

  app.use(async function requestContext(c, next) {
    const given = c.req.header(REQUEST_ID_HEADER);
    const id = given !== undefined && REQUEST_ID.test(given) ? given : crypto.randomUUID();
    c.set("requestId", id);
    if (!c.get("log")) c.set("log", server.log.with({ protocol: "http" }));
    c.set("log", c.get("log").with({ request_id: id }));
    const declared = Number(c.req.header("content-length") ?? "0");
    if (Number.isFinite(declared) && declared > MAX_BODY) {
      throw new ApiProblem(413, `The body exceeds ${MAX_BODY} octets.`);
    }
    await next();
    c.res.headers.set(REQUEST_ID_HEADER, id);
    // Responses may carry personal data and tokens.
    if (!c.res.headers.has("cache-control")) c.res.headers.set("Cache-Control", "no-store");
  });

  app.onError((err, c) => {
    const id = c.get("requestId");
    let res: Response;
    const core = err instanceof ApiProblem ? null : problemFromCore(err);
    if (err instanceof ApiProblem) res = problemResponse(err, id);
    else if (core) res = problemResponse(core, id);
    else if (err instanceof SyntaxError) {
      res = problemResponse(
        new ApiProblem(400, "The body is not valid JSON.", { type: ProblemType.validation }),
        id,
      );
    } else {
      c.get("log")?.error("admin API request failed", { error: String(err) });
      res = problemResponse(new ApiProblem(500, "Internal server error."), id);
    }
    if (id) res.headers.set(REQUEST_ID_HEADER, id);
    res.headers.set("Cache-Control", "no-store");
    return res;
  });

  app.notFound((c) => problemResponse(new ApiProblem(404, "No such endpoint."), c.get("requestId")));

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "An access token from /auth/login or /auth/refresh, or an API token (`tern_…`).",
  });

  registerRoutes(app, deps, requireAuth(deps));

  let doc: Record<string, unknown> | null = null;
  const document = () => doc ??= openApiDocument(app);
  app.get("/openapi.json", (c) => c.json(document()));
  app.get("/reference", (c) => {
    c.header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
    return c.html(renderReference(document()));
  });
  return app;
}

/** Mounts the admin API at `/api/v1` on the HTTP app (protocols/server.ts does this). */
export function mountApi<H extends { route(path: string, app: OpenAPIHono<ApiEnv>): unknown }>(
  http: H,
  server: ServerContext,
): H {
  http.route(API_BASE, createApiApp(server));
  return http;
}
