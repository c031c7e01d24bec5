/**
 * API tokens (`tern token`): `GET/POST /tokens`, `DELETE /tokens/{id}`. A token's scope never
 * exceeds its account's role (core/authz). The secret is shown once, at creation.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { createRoute, z } from "@hono/zod-openapi";
import type { ApiApp, ApiDeps, ApiEnv } from "../env.ts";
import { actorOf, authorize, principalOf } from "../env.ts";
import { BEARER, json, jsonBody, problems } from "../schemas.ts";
import { ApiProblem, notFound } from "../problem.ts";
import { pageOf, PageQuery, paginate } from "../pagination.ts";
import { listScope } from "../../../core/authz/matrix.ts";
import { effectiveReach, type Principal, type TokenScope } from "../../../core/authz/principal.ts";
import { type ApiTokenInfo, ApiTokens } from "../../../core/jmap/tokens.ts";

const Scope = z.enum(["read-only", "account", "org-admin", "platform-admin"]);

const TokenView = z.object({
  id: z.string(),
  accountId: z.string(),
  name: z.string(),
  scope: Scope,
  created: z.string().openapi({ format: "date-time" }),
  lastUsed: z.string().nullable().openapi({ format: "date-time" }),
}).openapi("ApiToken");

const NewToken = TokenView.extend({
  token: z.string().openapi({ description: "The secret, shown only now." }),
})
  .openapi("NewApiToken");

function view(t: ApiTokenInfo): z.infer<typeof TokenView> {
  return {
    id: t.id,
    accountId: t.accountId,
    name: t.name,
    scope: t.scope ?? "account",
    created: t.created.toISOString(),
    lastUsed: t.lastUsed?.toISOString() ?? null,
  };
}

/** True when a credential of principal `p` may mint a token of `scope` (never beyond its own reach). */
function mayGrant(p: Principal, scope: TokenScope): boolean {
  if (scope === "read-only" || scope === "account") return true;
  const reach = effectiveReach(p);
  return scope === "org-admin" ? reach !== "self" : reach === "platform";
}

/** Registers the token routes. */
export function register(app: ApiApp, deps: ApiDeps, auth: MiddlewareHandler<ApiEnv>): void {
  const { store, clock } = deps.server;
  const tokens = new ApiTokens(store.tokens, clock);

  app.openapi(
    createRoute({
      method: "get",
      path: "/tokens",
      operationId: "listTokens",
      summary: "API tokens the caller can see (its own; its organization's for an org admin).",
      security: BEARER,
      middleware: [auth] as const,
      request: { query: PageQuery },
      responses: {
        200: { description: "A page of tokens.", content: json(pageOf(TokenView, "ApiTokenPage")) },
        ...problems(400, 401),
      },
    }),
    async (c) => {
      const p = principalOf(c);
      const scope = listScope(p);
      const list = "accountId" in scope
        ? await store.tokens.list(scope.accountId)
        : await store.tokens.list();
      const visible: ApiTokenInfo[] = [];
      for (const t of list) {
        if ("orgId" in scope && (await deps.orgs.orgOfAccount(t.accountId)) !== scope.orgId) continue;
        visible.push(t);
      }
      const page = paginate(visible, (t) => t.id, c.req.valid("query"));
      return c.json({ items: page.items.map(view), nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/tokens",
      operationId: "createToken",
      summary:
        "Create an API token for the caller's account (or, for an administrator, an account it reaches).",
      security: BEARER,
      middleware: [auth] as const,
      request: {
        body: jsonBody(z.object({
          name: z.string().min(1).max(100),
          scope: Scope.optional(),
          accountId: z.string().max(100).optional(),
        })),
      },
      responses: {
        201: { description: "Created; the secret is in `token`.", content: json(NewToken) },
        ...problems(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const p = principalOf(c);
      const body = c.req.valid("json");
      const accountId = body.accountId ?? p.accountId;
      const orgId = await deps.orgs.orgOfAccount(accountId);
      if (orgId === null) throw notFound("account");
      authorize(c, "token", "write", { orgId, accountId });
      const scope = body.scope ?? "account";
      if (!mayGrant(p, scope)) throw new ApiProblem(403, `Not allowed to grant the ${scope} scope.`);
      const { token, info } = await tokens.create(accountId, body.name, scope);
      await deps.audit.security(actorOf(c), {
        action: "token.create",
        orgId,
        target: info.id,
        after: { accountId, name: info.name, scope },
      });
      return c.json({ ...view(info), token }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/tokens/{id}",
      operationId: "revokeToken",
      summary: "Revoke an API token.",
      security: BEARER,
      middleware: [auth] as const,
      request: {
        params: z.object({ id: z.string().max(100).openapi({ param: { name: "id", in: "path" } }) }),
      },
      responses: { 204: { description: "Revoked." }, ...problems(401, 403, 404) },
    }),
    async (c) => {
      const id = c.req.valid("param").id;
      const found = (await store.tokens.list()).find((t) => t.id === id);
      const orgId = found ? await deps.orgs.orgOfAccount(found.accountId) : null;
      if (!found || orgId === null) throw notFound("token");
      authorize(c, "token", "write", { orgId, accountId: found.accountId });
      await store.tokens.revoke(id);
      await deps.audit.security(actorOf(c), { action: "token.revoke", orgId, target: id });
      return c.body(null, 204);
    },
  );
}
