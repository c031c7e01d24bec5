/**
 * Self-service password change: `POST /auth/password` with the current and the new password.
 * The current one is checked by the server's authenticator (same throttling as every login; a
 * failure is a security event), the new one set as `tern user passwd` sets it, and every login
 * session of the account ends (a stolen session does not survive the change).
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { createRoute, z } from "@hono/zod-openapi";
import type { ApiApp, ApiDeps, ApiEnv } from "../env.ts";
import { actorOf, authorize, clientIp, principalOf } from "../env.ts";
import { BEARER, json, jsonBody, problems } from "../schemas.ts";
import { ApiProblem, ProblemType } from "../problem.ts";
import { setPassword } from "../../../core/cli/directory_ops.ts";

/** Registers the password route. */
export function register(app: ApiApp, deps: ApiDeps, auth: MiddlewareHandler<ApiEnv>): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/auth/password",
      operationId: "changePassword",
      summary: "Change the caller's password (the current one is required); ends every login session.",
      security: BEARER,
      middleware: [auth] as const,
      request: {
        body: jsonBody(z.object({
          currentPassword: z.string().min(1).max(1024),
          newPassword: z.string().min(8).max(1024),
        })),
      },
      responses: {
        200: { description: "Changed.", content: json(z.object({ sessionsEnded: z.number().int() })) },
        ...problems(400, 401, 403, 429),
      },
    }),
    async (c) => {
      const me = principalOf(c);
      const p = authorize(c, "session", "write", { orgId: me.orgId, accountId: me.accountId });
      const { currentPassword, newPassword } = c.req.valid("json");
      const check = await deps.server.auth.verifyPassword(p.address, currentPassword, {
        remoteAddress: clientIp(c),
        protocol: "http",
        secure: c.env?.session?.secure ?? false,
      });
      if (!check.ok) {
        await deps.audit.security(actorOf(c), {
          action: `account.password.${check.reason}`,
          orgId: p.orgId,
          target: p.address,
        });
        if (check.reason === "throttled") {
          throw new ApiProblem(429, "Too many failed attempts; try again later.", {
            type: ProblemType.throttled,
            headers: { "Retry-After": String(Math.ceil((check.retryAfterMs ?? 1000) / 1000)) },
          });
        }
        // 403, not 401: the caller is authenticated, the proof it gave is wrong.
        throw new ApiProblem(403, "The current password is wrong.");
      }
      await setPassword(deps.server.store, deps.server.auth, p.address, newPassword);
      const sessionsEnded = await deps.sessions.revoke({ accountId: p.accountId }, "password changed");
      await deps.audit.change(actorOf(c), {
        action: "account.password.change",
        orgId: p.orgId,
        target: p.address,
        after: { sessionsEnded },
      });
      return c.json({ sessionsEnded }, 200);
    },
  );
}
