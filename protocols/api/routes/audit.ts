/**
 * The audit log and session revocation: `GET /audit` (the caller's organization, or `?org=` for a
 * platform administrator), `GET /admin/audit` (platform-wide) and `POST /admin/sessions/revoke`
 * (all sessions of an account, of an organization, or every session: the emergency stop).
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { createRoute, z } from "@hono/zod-openapi";
import type { ApiApp, ApiContext, ApiDeps, ApiEnv } from "../env.ts";
import { actorOf, authorize, principalOf } from "../env.ts";
import { BEARER, json, jsonBody, problems } from "../schemas.ts";
import { ApiProblem, notFound, ProblemType } from "../problem.ts";
import { decodeCursor, encodeCursor, PAGE_DEFAULT, PAGE_MAX, pageOf } from "../pagination.ts";
import { effectiveReach } from "../../../core/authz/principal.ts";
import type { AuditEntry } from "../../../core/audit/audit_log.ts";
import type { SessionSelector } from "../../../core/api_auth/sessions.ts";
import { revokeSessions } from "../../../core/api_auth/session_ops.ts";

const EntryView = z.object({
  id: z.string(),
  at: z.string().openapi({ format: "date-time" }),
  kind: z.enum(["change", "security"]),
  action: z.string(),
  actor: z.string(),
  actorOrgId: z.string().nullable(),
  orgId: z.string().nullable(),
  target: z.string().nullable(),
  before: z.record(z.string(), z.unknown()).nullable(),
  after: z.record(z.string(), z.unknown()).nullable(),
  ip: z.string().nullable(),
  requestId: z.string().nullable(),
}).openapi("AuditEntry");

const AuditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(PAGE_MAX).optional().openapi({
    param: { name: "limit", in: "query" },
  }),
  cursor: z.string().max(512).optional().openapi({ param: { name: "cursor", in: "query" } }),
  kind: z.enum(["change", "security"]).optional().openapi({ param: { name: "kind", in: "query" } }),
  action: z.string().max(100).optional().openapi({
    param: { name: "action", in: "query" },
    description: "Only actions starting with this (`account.`, `session.refresh_reuse`).",
  }),
});

const view = (e: AuditEntry): z.infer<typeof EntryView> => ({ ...e, at: e.at.toISOString() });

/** Registers the audit and revocation routes. */
export function register(app: ApiApp, deps: ApiDeps, auth: MiddlewareHandler<ApiEnv>): void {
  const page = async (c: ApiContext, q: z.infer<typeof AuditQuery>, orgId?: string) => {
    const limit = q.limit ?? PAGE_DEFAULT;
    const entries = await deps.audit.list({
      limit: limit + 1,
      ...(orgId !== undefined ? { orgId } : {}),
      ...(q.kind !== undefined ? { kind: q.kind } : {}),
      ...(q.action !== undefined ? { actionPrefix: q.action } : {}),
      ...(q.cursor !== undefined ? { beforeId: decodeCursor(q.cursor) } : {}),
    });
    const items = entries.slice(0, limit);
    const nextCursor = entries.length > limit ? encodeCursor(items[items.length - 1]!.id) : null;
    return c.json({ items: items.map(view), nextCursor }, 200);
  };

  app.openapi(
    createRoute({
      method: "get",
      path: "/audit",
      operationId: "listAudit",
      summary:
        "The audit log of an organization (the caller's; any with `org` for a platform administrator), newest first.",
      security: BEARER,
      middleware: [auth] as const,
      request: {
        query: AuditQuery.extend({
          org: z.string().max(64).optional().openapi({ param: { name: "org", in: "query" } }),
        }),
      },
      responses: {
        200: { description: "A page of entries.", content: json(pageOf(EntryView, "AuditPage")) },
        ...problems(400, 401, 403, 404),
      },
    }),
    (c) => {
      const q = c.req.valid("query");
      const orgId = q.org ?? principalOf(c).orgId;
      authorize(c, "audit", "read", { orgId });
      return page(c, q, orgId);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/admin/audit",
      operationId: "listPlatformAudit",
      summary: "The whole audit log (platform administrators), newest first.",
      security: BEARER,
      middleware: [auth] as const,
      request: { query: AuditQuery },
      responses: {
        200: { description: "A page of entries.", content: json(pageOf(EntryView, "AuditPage")) },
        ...problems(400, 401, 403),
      },
    }),
    (c) => {
      authorize(c, "platform_audit", "read");
      return page(c, c.req.valid("query"));
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/admin/sessions/revoke",
      operationId: "revokeSessions",
      summary: "Revoke login sessions: all of an account, all of an organization, or all (emergency).",
      description: "Exactly one of `accountId`, `orgId` or `all: true`.",
      security: BEARER,
      middleware: [auth] as const,
      request: {
        body: jsonBody(z.object({
          accountId: z.string().max(100).optional(),
          orgId: z.string().max(64).optional(),
          all: z.literal(true).optional(),
        })),
      },
      responses: {
        200: {
          description: "How many active sessions were revoked.",
          content: json(z.object({ revoked: z.number().int() })),
        },
        ...problems(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const given = [body.accountId !== undefined, body.orgId !== undefined, body.all === true].filter(
        Boolean,
      );
      if (given.length !== 1) {
        throw new ApiProblem(400, "Give exactly one of accountId, orgId or all.", {
          type: ProblemType.validation,
        });
      }
      const p = principalOf(c);
      let selector: SessionSelector;
      let orgId: string | null = null;
      if (body.accountId !== undefined) {
        orgId = await deps.orgs.orgOfAccount(body.accountId);
        if (orgId === null) throw notFound("account");
        authorize(c, "session", "write", { orgId, accountId: body.accountId });
        selector = { accountId: body.accountId };
      } else if (body.orgId !== undefined) {
        orgId = body.orgId;
        authorize(c, "session", "write", { orgId });
        if (effectiveReach(p) === "self") {
          throw new ApiProblem(403, "Not allowed to revoke an organization's sessions.");
        }
        selector = { orgId };
      } else {
        if (effectiveReach(p) !== "platform" || p.scope === "read-only") {
          throw new ApiProblem(403, "Only a platform administrator may revoke every session.");
        }
        selector = { all: true };
      }
      const revoked = await revokeSessions(deps.server, selector, actorOf(c), {
        reason: "revoked by an administrator",
        orgId,
      });
      return c.json({ revoked }, 200);
    },
  );
}
