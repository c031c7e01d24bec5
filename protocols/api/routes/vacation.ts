/**
 * An account's vacation reply: `GET/PUT /accounts/{id}/vacation`, the same singleton JMAP's
 * VacationResponse (RFC 8621 §8) reads and writes (`Store.vacations`), so the delivery pipeline
 * answers mail (RFC 3834 §2: once per sender per period) whichever client set it.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { createRoute, z } from "@hono/zod-openapi";
import type { ApiApp, ApiContext, ApiDeps, ApiEnv } from "../env.ts";
import { actorOf, authorize } from "../env.ts";
import { BEARER, json, jsonBody, problems } from "../schemas.ts";
import { ApiProblem, notFound } from "../problem.ts";
import type { VacationResponse } from "../../../core/store/records/vacations.ts";

const Vacation = z.object({
  isEnabled: z.boolean(),
  fromDate: z.string().nullable().openapi({ format: "date-time", description: "Replies start (null: now)." }),
  toDate: z.string().nullable().openapi({ format: "date-time", description: "Replies stop (null: open)." }),
  subject: z.string().max(998).nullable(),
  textBody: z.string().max(100_000).nullable(),
  htmlBody: z.string().max(100_000).nullable(),
}).openapi("Vacation");

const Id = z.object({ id: z.string().max(100).openapi({ param: { name: "id", in: "path" } }) });

function view(v: VacationResponse): z.infer<typeof Vacation> {
  return {
    isEnabled: v.isEnabled,
    fromDate: v.fromDate?.toISOString() ?? null,
    toDate: v.toDate?.toISOString() ?? null,
    subject: v.subject,
    textBody: v.textBody,
    htmlBody: v.htmlBody,
  };
}

function date(s: string | null, name: string): Date | null {
  if (s === null) return null;
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) {
    throw new ApiProblem(400, `${name} is not a date-time.`, {
      errors: [{ pointer: `json.${name}`, detail: "Not an RFC 3339 date-time." }],
    });
  }
  return d;
}

/** Registers the vacation routes. */
export function register(app: ApiApp, deps: ApiDeps, auth: MiddlewareHandler<ApiEnv>): void {
  const store = deps.server.store;

  const load = async (c: ApiContext, id: string, action: "read" | "write") => {
    const account = await store.getAccount(id);
    const orgId = account ? await deps.orgs.orgOfAccount(account.id) : null;
    if (!account || orgId === null) throw notFound("account");
    // The account's own setting: its owner may change it (members too), admins within their reach.
    authorize(c, "settings", action, { orgId, accountId: account.id });
    return { account, orgId };
  };

  app.openapi(
    createRoute({
      method: "get",
      path: "/accounts/{id}/vacation",
      operationId: "getVacation",
      summary: "An account's vacation reply (the JMAP VacationResponse).",
      security: BEARER,
      middleware: [auth] as const,
      request: { params: Id },
      responses: {
        200: { description: "The vacation reply.", content: json(Vacation) },
        ...problems(401, 404),
      },
    }),
    async (c) => {
      const { account } = await load(c, c.req.valid("param").id, "read");
      return c.json(view((await store.vacations.get(account.id)).value), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/accounts/{id}/vacation",
      operationId: "setVacation",
      summary: "Replace an account's vacation reply (who was already answered is forgotten).",
      security: BEARER,
      middleware: [auth] as const,
      request: { params: Id, body: jsonBody(Vacation) },
      responses: {
        200: { description: "Saved.", content: json(Vacation) },
        ...problems(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const { account, orgId } = await load(c, c.req.valid("param").id, "write");
      const body = c.req.valid("json");
      const value: VacationResponse = {
        id: "singleton",
        isEnabled: body.isEnabled,
        fromDate: date(body.fromDate, "fromDate"),
        toDate: date(body.toDate, "toDate"),
        subject: body.subject,
        textBody: body.textBody,
        htmlBody: body.htmlBody,
      };
      await store.vacations.set(account.id, value);
      await deps.audit.change(actorOf(c), {
        action: "account.vacation.update",
        orgId,
        target: account.address,
        after: { isEnabled: value.isEnabled },
      });
      return c.json(view(value), 200);
    },
  );
}
