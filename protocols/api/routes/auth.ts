/**
 * Authentication and sessions: `POST /auth/login`, `/auth/refresh`, `/auth/logout`,
 * `/auth/logout-all`, `GET /auth/sessions`, `DELETE /auth/sessions/{id}` and `GET /auth/me`
 * (core/api_auth/sessions.ts has the rules).
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { createRoute, z } from "@hono/zod-openapi";
import type { ApiApp, ApiContext, ApiDeps, ApiEnv } from "../env.ts";
import { actorOf, authorize, clientIp, principalOf } from "../env.ts";
import { BEARER, json, jsonBody, problems, PUBLIC } from "../schemas.ts";
import { ApiProblem, ProblemType } from "../problem.ts";
import type { ApiSession, ClientInfo, SessionFailure } from "../../../core/api_auth/sessions.ts";

const Tokens = z.object({
  accessToken: z.string(),
  tokenType: z.literal("Bearer"),
  expiresIn: z.number().int().openapi({ description: "Seconds the access token is valid." }),
  refreshToken: z.string(),
  refreshExpiresIn: z.number().int(),
  sessionId: z.string(),
}).openapi("Tokens");

const Session = z.object({
  id: z.string(),
  accountId: z.string(),
  userAgent: z.string(),
  ip: z.string(),
  created: z.string().openapi({ format: "date-time" }),
  lastSeen: z.string().openapi({ format: "date-time" }),
  expiresAt: z.string().openapi({ format: "date-time" }),
  current: z.boolean(),
}).openapi("Session");

const Me = z.object({
  accountId: z.string(),
  address: z.string(),
  orgId: z.string(),
  role: z.enum(["member", "org-admin", "platform-admin"]),
  scope: z.enum(["read-only", "account", "org-admin", "platform-admin"]),
  via: z.enum(["session", "token", "trusted"]),
}).openapi("Me");

const Revoked = z.object({ revoked: z.number().int() }).openapi("Revoked");

/** The session as the API shows it. */
export function sessionView(s: ApiSession, currentId?: string): z.infer<typeof Session> {
  return {
    id: s.id,
    accountId: s.accountId,
    userAgent: s.userAgent,
    ip: s.ip,
    created: s.created.toISOString(),
    lastSeen: s.lastSeen.toISOString(),
    expiresAt: s.expiresAt.toISOString(),
    current: s.id === currentId,
  };
}

function client(c: ApiContext): ClientInfo {
  const deviceId = c.req.header("x-device-id");
  return {
    ip: clientIp(c),
    userAgent: c.req.header("user-agent") ?? "",
    secure: c.env?.session?.secure ?? false,
    requestId: c.get("requestId"),
    ...(deviceId !== undefined ? { deviceId: deviceId.slice(0, 256) } : {}),
  };
}

function refused(f: SessionFailure): ApiProblem {
  if (f.reason === "throttled") {
    return new ApiProblem(429, "Too many failed attempts; try again later.", {
      type: ProblemType.throttled,
      headers: { "Retry-After": String(Math.ceil(f.retryAfterMs / 1000)) },
    });
  }
  const detail: Record<SessionFailure["reason"], string> = {
    invalid: "Invalid credentials.",
    disabled: "The account is disabled.",
    throttled: "",
    expired: "The session has ended: log in again.",
    revoked: "The session was revoked: log in again.",
    reused: "This refresh token was already used; the session is revoked: log in again.",
    device: "The refresh comes from another device: log in again.",
  };
  return new ApiProblem(401, detail[f.reason], {
    type: f.reason === "invalid" ? ProblemType.blank : ProblemType.sessionEnded,
    headers: { "WWW-Authenticate": 'Bearer realm="Tern"' },
  });
}

/** Registers the auth routes. */
export function register(app: ApiApp, deps: ApiDeps, auth: MiddlewareHandler<ApiEnv>): void {
  const tls = (c: ApiContext) => {
    // Passwords and refresh tokens travel in these bodies: same rule as Basic/Bearer on the listener.
    if (
      !(c.env?.session?.secure ?? false) && deps.server.config.listeners.http.allow_plaintext_auth === false
    ) {
      throw new ApiProblem(403, "Logging in needs TLS on this listener (use HTTPS).");
    }
  };

  app.openapi(
    createRoute({
      method: "post",
      path: "/auth/login",
      operationId: "login",
      summary: "Log in with an address and password: an access token and a refresh token.",
      security: PUBLIC,
      request: {
        body: jsonBody(
          z.object({ address: z.string().min(1).max(320), password: z.string().min(1).max(1024) }),
        ),
      },
      responses: {
        200: { description: "Logged in.", content: json(Tokens) },
        ...problems(400, 401, 429),
      },
    }),
    async (c) => {
      tls(c);
      const { address, password } = c.req.valid("json");
      const r = await deps.sessions.login(address, password, client(c));
      if (!r.ok) throw refused(r);
      return c.json(r.tokens, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/auth/refresh",
      operationId: "refresh",
      summary: "Exchange a refresh token for new tokens (the old refresh token stops working).",
      description: "Presenting an already-used refresh token revokes its whole session.",
      security: PUBLIC,
      request: { body: jsonBody(z.object({ refreshToken: z.string().min(1).max(200) })) },
      responses: {
        200: { description: "New tokens.", content: json(Tokens) },
        ...problems(400, 401),
      },
    }),
    async (c) => {
      tls(c);
      const r = await deps.sessions.refresh(c.req.valid("json").refreshToken, client(c));
      if (!r.ok) throw refused(r);
      return c.json(r.tokens, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/auth/logout",
      operationId: "logout",
      summary: "End the current login session.",
      security: BEARER,
      middleware: [auth] as const,
      responses: { 204: { description: "Logged out." }, ...problems(400, 401) },
    }),
    async (c) => {
      const p = principalOf(c);
      if (p.sessionId === undefined) throw new ApiProblem(400, "Only a login session can log out.");
      await deps.sessions.revoke({ id: p.sessionId }, "logout");
      await deps.audit.security(actorOf(c), {
        action: "session.logout",
        orgId: p.orgId,
        target: p.sessionId,
      });
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/auth/logout-all",
      operationId: "logoutAll",
      summary: "End every login session of the caller's account.",
      security: BEARER,
      middleware: [auth] as const,
      responses: { 200: { description: "Sessions ended.", content: json(Revoked) }, ...problems(401, 403) },
    }),
    async (c) => {
      const p = authorize(c, "session", "write", {
        orgId: principalOf(c).orgId,
        accountId: principalOf(c).accountId,
      });
      const revoked = await deps.sessions.revoke({ accountId: p.accountId }, "logout-all");
      await deps.audit.security(actorOf(c), {
        action: "session.logout_all",
        orgId: p.orgId,
        target: p.address,
        after: { revoked },
      });
      return c.json({ revoked }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/auth/sessions",
      operationId: "listSessions",
      summary: "The caller's active login sessions (device, IP, created, last seen).",
      security: BEARER,
      middleware: [auth] as const,
      responses: {
        200: {
          description: "Active sessions, newest first.",
          content: json(z.object({ items: z.array(Session) })),
        },
        ...problems(401),
      },
    }),
    async (c) => {
      const p = authorize(c, "session", "read", {
        orgId: principalOf(c).orgId,
        accountId: principalOf(c).accountId,
      });
      const list = await deps.sessions.listActive({ accountId: p.accountId });
      return c.json({ items: list.map((s) => sessionView(s, p.sessionId)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/auth/sessions/{id}",
      operationId: "revokeSession",
      summary: "Revoke one login session (the caller's own, or one its reach covers).",
      security: BEARER,
      middleware: [auth] as const,
      request: { params: z.object({ id: z.string().max(100) }) },
      responses: { 204: { description: "Revoked." }, ...problems(401, 403, 404) },
    }),
    async (c) => {
      const session = await deps.sessions.get(c.req.valid("param").id);
      if (!session || !deps.sessions.isActive(session)) throw new ApiProblem(404, "No such session.");
      authorize(c, "session", "write", { orgId: session.orgId, accountId: session.accountId });
      await deps.sessions.revoke({ id: session.id }, "revoked");
      await deps.audit.security(actorOf(c), {
        action: "session.revoke",
        orgId: session.orgId,
        target: session.id,
      });
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/auth/me",
      operationId: "me",
      summary: "Who the credentials act as: account, organization, role and scope.",
      security: BEARER,
      middleware: [auth] as const,
      responses: { 200: { description: "The caller.", content: json(Me) }, ...problems(401) },
    }),
    (c) => {
      const p = principalOf(c);
      return c.json({
        accountId: p.accountId,
        address: p.address,
        orgId: p.orgId,
        role: p.role,
        scope: p.scope,
        via: p.via,
      }, 200);
    },
  );
}
