/**
 * Aliases (addresses delivered to accounts, `*@domain` the catch-all): `GET/POST /aliases`,
 * `DELETE /aliases/{address}`, through core/cli/directory_ops.ts. An alias and all its targets
 * must be in the caller's organization.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { createRoute, z } from "@hono/zod-openapi";
import type { ApiApp, ApiContext, ApiDeps, ApiEnv } from "../env.ts";
import { actorOf, authorize, principalOf } from "../env.ts";
import { BEARER, json, jsonBody, problems } from "../schemas.ts";
import { notFound } from "../problem.ts";
import { pageOf, PageQuery, paginate } from "../pagination.ts";
import { effectiveReach } from "../../../core/authz/principal.ts";
import { decide } from "../../../core/authz/matrix.ts";
import { addAlias, deleteAlias, normalizeAddress } from "../../../core/cli/directory_ops.ts";

const AliasView = z.object({
  address: z.string(),
  targets: z.array(z.string()),
  created: z.string().openapi({ format: "date-time" }),
  orgId: z.string(),
}).openapi("Alias");

const domainOf = (address: string) => address.slice(address.lastIndexOf("@") + 1);

/** Registers the alias routes. */
export function register(app: ApiApp, deps: ApiDeps, auth: MiddlewareHandler<ApiEnv>): void {
  const store = deps.server.store;

  /** 404 when a target account is outside the caller's reach (the shared operation reports unknown ones). */
  const checkTargets = async (c: ApiContext, targets: string[]) => {
    for (const t of targets) {
      const account = await store.getAccountByAddress(t);
      if (!account) continue;
      const orgId = await deps.orgs.orgOfAccount(account.id);
      if (decide(principalOf(c), "alias", "read", { orgId: orgId ?? undefined }) === "notFound") {
        throw notFound("account");
      }
    }
  };

  app.openapi(
    createRoute({
      method: "get",
      path: "/aliases",
      operationId: "listAliases",
      summary: "Aliases of the caller's organization (all of them for a platform administrator).",
      security: BEARER,
      middleware: [auth] as const,
      request: { query: PageQuery },
      responses: {
        200: { description: "A page of aliases.", content: json(pageOf(AliasView, "AliasPage")) },
        ...problems(400, 401, 403),
      },
    }),
    async (c) => {
      const p = authorize(c, "alias", "read", { orgId: principalOf(c).orgId });
      const all = effectiveReach(p) === "platform";
      const out: z.infer<typeof AliasView>[] = [];
      for (const a of await store.listAliases()) {
        const orgId = await deps.orgs.orgOfDomain(domainOf(a.address));
        if (all || orgId === p.orgId) {
          out.push({ address: a.address, targets: a.targets, created: a.created.toISOString(), orgId });
        }
      }
      return c.json(paginate(out, (a) => a.address, c.req.valid("query")), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/aliases",
      operationId: "createAlias",
      summary: "Add an alias delivering to accounts of the same organization.",
      security: BEARER,
      middleware: [auth] as const,
      request: {
        body: jsonBody(z.object({
          address: z.string().min(3).max(320),
          targets: z.array(z.string().min(3).max(320)).min(1).max(100),
        })),
      },
      responses: {
        201: { description: "Created.", content: json(AliasView) },
        ...problems(400, 401, 403, 404, 409),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const address = normalizeAddress(body.address, true);
      const orgId = await deps.orgs.orgOfDomain(domainOf(address));
      if (decide(principalOf(c), "alias", "read", { orgId }) === "notFound") throw notFound("alias");
      // A target in another organization is "not found", whatever the caller may do here.
      await checkTargets(c, body.targets);
      authorize(c, "alias", "write", { orgId });
      const alias = await addAlias(store, address, body.targets, deps.server.config.local_domains);
      await deps.audit.change(actorOf(c), {
        action: "alias.create",
        orgId,
        target: alias.address,
        after: { targets: alias.targets },
      });
      return c.json({
        address: alias.address,
        targets: alias.targets,
        created: alias.created.toISOString(),
        orgId,
      }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/aliases/{address}",
      operationId: "deleteAlias",
      summary: "Delete an alias.",
      security: BEARER,
      middleware: [auth] as const,
      request: {
        params: z.object({
          address: z.string().max(320).openapi({ param: { name: "address", in: "path" } }),
        }),
      },
      responses: { 204: { description: "Deleted." }, ...problems(401, 403, 404) },
    }),
    async (c) => {
      let address: string;
      try {
        address = normalizeAddress(c.req.valid("param").address, true);
      } catch {
        throw notFound("alias");
      }
      const alias = (await store.listAliases()).find((a) => a.address === address);
      if (!alias) throw notFound("alias");
      const orgId = await deps.orgs.orgOfDomain(domainOf(address));
      authorize(c, "alias", "write", { orgId });
      await deleteAlias(store, address);
      await deps.audit.change(actorOf(c), {
        action: "alias.delete",
        orgId,
        target: address,
        before: { targets: alias.targets },
      });
      return c.body(null, 204);
    },
  );
}
