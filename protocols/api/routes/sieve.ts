/**
 * An account's Sieve filters (RFC 5228): `GET /accounts/{id}/sieve` (the scripts, which one is
 * active), `GET/PUT/DELETE /accounts/{id}/sieve/{name}`. Stored through core/sieve/scripts.ts, the
 * rules ManageSieve, JMAP for Sieve and `tern sieve` share: a script that does not compile is not
 * stored, and the refusal gives the line and column of the error.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { createRoute, z } from "@hono/zod-openapi";
import type { ApiApp, ApiContext, ApiDeps, ApiEnv } from "../env.ts";
import { actorOf, authorize } from "../env.ts";
import { BEARER, json, jsonBody, problems } from "../schemas.ts";
import { ApiProblem, notFound, ProblemType } from "../problem.ts";
import { checkScript, putScript, ScriptError } from "../../../core/sieve/scripts.ts";
import { sieveLimits } from "../../../core/sieve/settings.ts";
import type { SieveScriptInfo } from "../../../core/store/records/sieve_scripts.ts";

const ScriptView = z.object({
  name: z.string(),
  isActive: z.boolean(),
  size: z.number().int(),
  updatedAt: z.string().openapi({ format: "date-time" }),
}).openapi("SieveScript");

const ScriptContent = ScriptView.extend({ content: z.string() }).openapi("SieveScriptContent");

const Id = z.object({ id: z.string().max(100).openapi({ param: { name: "id", in: "path" } }) });
const IdName = Id.extend({ name: z.string().max(512).openapi({ param: { name: "name", in: "path" } }) });

function view(s: SieveScriptInfo): z.infer<typeof ScriptView> {
  return { name: s.name, isActive: s.isActive, size: s.size, updatedAt: s.updatedAt.toISOString() };
}

/** Registers the Sieve routes. */
export function register(app: ApiApp, deps: ApiDeps, auth: MiddlewareHandler<ApiEnv>): void {
  const store = deps.server.store;
  // The `[sieve]` limits (script size and count).
  const limits = sieveLimits(deps.server.config.sieve);

  const load = async (c: ApiContext, id: string, action: "read" | "write") => {
    const account = await store.getAccount(id);
    const orgId = account ? await deps.orgs.orgOfAccount(account.id) : null;
    if (!account || orgId === null) throw notFound("account");
    authorize(c, "settings", action, { orgId, accountId: account.id });
    return { account, orgId };
  };

  app.openapi(
    createRoute({
      method: "get",
      path: "/accounts/{id}/sieve",
      operationId: "listSieveScripts",
      summary: "An account's Sieve scripts (at most one is active).",
      security: BEARER,
      middleware: [auth] as const,
      request: { params: Id },
      responses: {
        200: { description: "The scripts.", content: json(z.object({ items: z.array(ScriptView) })) },
        ...problems(401, 404),
      },
    }),
    async (c) => {
      const { account } = await load(c, c.req.valid("param").id, "read");
      return c.json({ items: (await store.sieveScripts.list(account.id)).map(view) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/accounts/{id}/sieve/{name}",
      operationId: "getSieveScript",
      summary: "One Sieve script with its text.",
      security: BEARER,
      middleware: [auth] as const,
      request: { params: IdName },
      responses: { 200: { description: "The script.", content: json(ScriptContent) }, ...problems(401, 404) },
    }),
    async (c) => {
      const { id, name } = c.req.valid("param");
      const { account } = await load(c, id, "read");
      const script = await store.sieveScripts.get(account.id, name);
      if (!script) throw notFound("script");
      return c.json({ ...view(script), content: script.content }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/accounts/{id}/sieve/{name}",
      operationId: "putSieveScript",
      summary: "Create or replace a Sieve script; `active` makes it the active one (or deactivates it).",
      description: "A script that does not compile is refused with 400 and the error's line and column.",
      security: BEARER,
      middleware: [auth] as const,
      request: {
        params: IdName,
        body: jsonBody(
          z.object({ content: z.string().max(limits.maxScriptBytes), active: z.boolean().optional() }),
        ),
      },
      responses: {
        200: { description: "Stored.", content: json(ScriptView) },
        ...problems(400, 401, 403, 404, 409),
      },
    }),
    async (c) => {
      const { id, name } = c.req.valid("param");
      const { account, orgId } = await load(c, id, "write");
      const { content, active } = c.req.valid("json");
      const syntax = checkScript(content, limits);
      if (syntax) {
        // RFC 5804 §2.6: an invalid script is not stored; the error says where.
        throw new ApiProblem(400, "The script does not compile.", {
          type: ProblemType.validation,
          errors: [{
            pointer: "json.content",
            detail: syntax.message,
          }],
        });
      }
      try {
        await putScript(store, account.id, name, content, limits);
      } catch (e) {
        if (e instanceof ScriptError) {
          if (e.code === "tooMany") throw new ApiProblem(409, e.message, { type: ProblemType.conflict });
          throw new ApiProblem(400, e.message, { type: ProblemType.validation });
        }
        throw e;
      }
      if (active === true) await store.sieveScripts.setActive(account.id, name);
      const current = await store.sieveScripts.get(account.id, name);
      if (active === false && current?.isActive) await store.sieveScripts.setActive(account.id, null);
      const stored = (await store.sieveScripts.get(account.id, name))!;
      await deps.audit.change(actorOf(c), {
        action: "account.sieve.put",
        orgId,
        target: `${account.address} ${name}`,
        after: { isActive: stored.isActive, size: stored.size },
      });
      return c.json(view(stored), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/accounts/{id}/sieve/{name}",
      operationId: "deleteSieveScript",
      summary: "Delete a Sieve script (the active one is deactivated first).",
      security: BEARER,
      middleware: [auth] as const,
      request: { params: IdName },
      responses: { 204: { description: "Deleted." }, ...problems(401, 403, 404) },
    }),
    async (c) => {
      const { id, name } = c.req.valid("param");
      const { account, orgId } = await load(c, id, "write");
      const script = await store.sieveScripts.get(account.id, name);
      if (!script) throw notFound("script");
      if (script.isActive) await store.sieveScripts.setActive(account.id, null);
      await store.sieveScripts.delete(account.id, name);
      await deps.audit.change(actorOf(c), {
        action: "account.sieve.delete",
        orgId,
        target: `${account.address} ${name}`,
      });
      return c.body(null, 204);
    },
  );
}
