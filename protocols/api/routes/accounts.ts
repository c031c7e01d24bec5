/**
 * Accounts: `GET/POST /accounts`, `GET/PATCH/DELETE /accounts/{id}`, through the operations the
 * CLI uses (core/cli/directory_ops.ts: address and domain rules, plan limits).
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { createRoute, z } from "@hono/zod-openapi";
import type { ApiApp, ApiContext, ApiDeps, ApiEnv } from "../env.ts";
import { actorOf, authorize, principalOf } from "../env.ts";
import { BEARER, ETagHeader, IfMatchHeader, json, jsonBody, problems } from "../schemas.ts";
import { notFound } from "../problem.ts";
import { pageOf, PageQuery, paginate } from "../pagination.ts";
import { checkIfMatch, etagOf } from "../etag.ts";
import { listScope } from "../../../core/authz/matrix.ts";
import type { Account } from "../../../core/store/types.ts";
import { summarize } from "../../../core/audit/audit_log.ts";
import {
  addUser,
  deleteUser,
  normalizeAddress,
  setPassword,
  updateUser,
} from "../../../core/cli/directory_ops.ts";

const AccountView = z.object({
  id: z.string(),
  address: z.string(),
  displayName: z.string(),
  quotaBytes: z.number().int().openapi({ description: "0: unlimited." }),
  usedBytes: z.number().int(),
  disabled: z.boolean(),
  created: z.string().openapi({ format: "date-time" }),
  orgId: z.string(),
}).openapi("Account");

type AccountView = z.infer<typeof AccountView>;

const Id = z.object({ id: z.string().max(100).openapi({ param: { name: "id", in: "path" } }) });

/** The account as the API shows it. */
export function accountView(a: Account, orgId: string): AccountView {
  return {
    id: a.id,
    address: a.address,
    displayName: a.displayName,
    quotaBytes: a.quotaBytes,
    usedBytes: a.usedBytes,
    disabled: a.disabled,
    created: a.created.toISOString(),
    orgId,
  };
}

const AUDIT_FIELDS: (keyof AccountView)[] = ["address", "displayName", "quotaBytes", "disabled"];

/** Registers the account routes. */
export function register(app: ApiApp, deps: ApiDeps, auth: MiddlewareHandler<ApiEnv>): void {
  const store = deps.server.store;

  /** The account `id` when the caller may `action` it; 404 when absent or out of reach. */
  const load = async (c: ApiContext, id: string, action: "read" | "write") => {
    const account = await store.getAccount(id);
    const orgId = account ? await deps.orgs.orgOfAccount(account.id) : null;
    if (!account || orgId === null) throw notFound("account");
    authorize(c, "account", action, { orgId, accountId: account.id });
    return { account, orgId };
  };

  app.openapi(
    createRoute({
      method: "get",
      path: "/accounts",
      operationId: "listAccounts",
      summary: "Accounts the caller can see (a member: itself; an org admin: its organization).",
      security: BEARER,
      middleware: [auth] as const,
      request: { query: PageQuery },
      responses: {
        200: { description: "A page of accounts.", content: json(pageOf(AccountView, "AccountPage")) },
        ...problems(400, 401),
      },
    }),
    async (c) => {
      const p = principalOf(c);
      const scope = listScope(p);
      let accounts: { account: Account; orgId: string }[] = [];
      if ("accountId" in scope) {
        const own = await store.getAccount(scope.accountId);
        if (own) accounts = [{ account: own, orgId: p.orgId }];
      } else {
        for (const account of await store.listAccounts()) {
          const orgId = (await deps.orgs.orgOfAccount(account.id)) ?? "";
          if ("all" in scope || orgId === scope.orgId) accounts.push({ account, orgId });
        }
      }
      const page = paginate(accounts, (a) => a.account.address, c.req.valid("query"));
      return c.json({
        items: page.items.map((a) => accountView(a.account, a.orgId)),
        nextCursor: page.nextCursor,
      }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/accounts",
      operationId: "createAccount",
      summary: "Create an account (and its default mailboxes) in a local domain.",
      security: BEARER,
      middleware: [auth] as const,
      request: {
        body: jsonBody(z.object({
          address: z.string().min(3).max(320),
          password: z.string().min(8).max(1024),
          displayName: z.string().max(256).optional(),
          quotaBytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
        })),
      },
      responses: {
        201: { description: "Created.", headers: ETagHeader, content: json(AccountView) },
        ...problems(400, 401, 403, 404, 409),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const address = normalizeAddress(body.address);
      const orgId = await deps.orgs.orgOfDomain(address.slice(address.lastIndexOf("@") + 1));
      authorize(c, "account", "write", { orgId });
      const account = await addUser(store, deps.server.auth, body, deps.server.config.local_domains);
      const view = accountView(account, orgId);
      await deps.audit.change(actorOf(c), {
        action: "account.create",
        orgId,
        target: account.address,
        after: summarize(view, AUDIT_FIELDS),
      });
      c.header("ETag", etagOf(view));
      c.header("Location", `/api/v1/accounts/${account.id}`);
      return c.json(view, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/accounts/{id}",
      operationId: "getAccount",
      summary: "One account.",
      security: BEARER,
      middleware: [auth] as const,
      request: { params: Id },
      responses: {
        200: { description: "The account.", headers: ETagHeader, content: json(AccountView) },
        ...problems(401, 404),
      },
    }),
    async (c) => {
      const { account, orgId } = await load(c, c.req.valid("param").id, "read");
      const view = accountView(account, orgId);
      c.header("ETag", etagOf(view));
      return c.json(view, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/accounts/{id}",
      operationId: "updateAccount",
      summary: "Change an account's display name, quota, disabled flag or password.",
      description: "With If-Match, only when the account is unchanged since it was read.",
      security: BEARER,
      middleware: [auth] as const,
      request: {
        params: Id,
        headers: IfMatchHeader,
        body: jsonBody(z.object({
          displayName: z.string().max(256).optional(),
          quotaBytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
          disabled: z.boolean().optional(),
          password: z.string().min(8).max(1024).optional(),
        })),
      },
      responses: {
        200: { description: "Updated.", headers: ETagHeader, content: json(AccountView) },
        ...problems(400, 401, 403, 404, 412),
      },
    }),
    async (c) => {
      const { account, orgId } = await load(c, c.req.valid("param").id, "write");
      const before = accountView(account, orgId);
      checkIfMatch(c.req.header("if-match"), etagOf(before));
      const { password, ...patch } = c.req.valid("json");
      let updated = account;
      if (Object.keys(patch).length > 0) updated = await updateUser(store, account.address, patch);
      if (password !== undefined) {
        await setPassword(store, deps.server.auth, account.address, password);
        // A new password ends every login session of the account.
        await deps.sessions.revoke({ accountId: account.id }, "password changed");
      }
      if (patch.disabled === true) await deps.sessions.revoke({ accountId: account.id }, "account disabled");
      const after = accountView(updated, orgId);
      await deps.audit.change(actorOf(c), {
        action: "account.update",
        orgId,
        target: account.address,
        before: summarize(before, AUDIT_FIELDS),
        after: {
          ...summarize(after, AUDIT_FIELDS),
          ...(password !== undefined ? { passwordChanged: true } : {}),
        },
      });
      c.header("ETag", etagOf(after));
      return c.json(after, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/accounts/{id}",
      operationId: "deleteAccount",
      summary: "Delete an account with all its mail.",
      security: BEARER,
      middleware: [auth] as const,
      request: { params: Id, headers: IfMatchHeader },
      responses: { 204: { description: "Deleted." }, ...problems(401, 403, 404, 412) },
    }),
    async (c) => {
      const { account, orgId } = await load(c, c.req.valid("param").id, "write");
      const before = accountView(account, orgId);
      checkIfMatch(c.req.header("if-match"), etagOf(before));
      await deleteUser(store, account.address);
      await deps.sessions.revoke({ accountId: account.id }, "account deleted");
      await deps.audit.change(actorOf(c), {
        action: "account.delete",
        orgId,
        target: account.address,
        before: summarize(before, AUDIT_FIELDS),
      });
      return c.body(null, 204);
    },
  );
}
