/**
 * Organizations, plans and usage through the tenancy operations the CLI uses
 * (core/tenancy/operations.ts): `GET/POST /organizations`, `GET/PATCH/DELETE /organizations/{id}`,
 * `PUT /organizations/{id}/roles`, `GET/POST /plans`, `GET/PATCH/DELETE /plans/{id}` and
 * `GET /usage?org=&month=`. Organizations and plans are changed by platform administrators; an
 * organization's administrators read theirs and give roles in it.
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
import { effectiveReach } from "../../../core/authz/principal.ts";
import {
  addOrganization,
  addPlan,
  deleteOrganization,
  deletePlan,
  listOrganizations,
  listPlans,
  setOrganizationPlan,
  setPlan,
  setRole,
  showOrganization,
  showPlan,
  usageReport,
} from "../../../core/tenancy/operations.ts";

const Json = z.record(z.string(), z.unknown());

const OrgView = z.object({
  id: z.string(),
  name: z.string(),
  planId: z.string().nullable(),
  created: z.string().openapi({ format: "date-time" }),
  domains: z.array(z.string()),
  resources: z.object({
    domains: z.number().int(),
    accounts: z.number().int(),
    addresses: z.number().int(),
    storageBytes: z.number().int(),
  }),
}).openapi("Organization");

const OrgDetails = OrgView.extend({
  plan: Json.nullable(),
  usage: Json,
  roles: z.array(z.object({ accountId: z.string(), address: z.string(), role: z.string() })),
}).openapi("OrganizationDetails");

const Limits = z.object({
  accounts: z.number().int().min(0).nullable(),
  addresses: z.number().int().min(0).nullable(),
  domains: z.number().int().min(0).nullable(),
  receivedPerDay: z.number().int().min(0).nullable(),
  receivedPerMonth: z.number().int().min(0).nullable(),
  sentPerDay: z.number().int().min(0).nullable(),
  storageBytes: z.number().int().min(0).nullable(),
  apiCallsPerMonth: z.number().int().min(0).nullable(),
  maxMessageSize: z.number().int().min(0).nullable(),
  retentionDays: z.number().int().min(0).nullable(),
});
const Features = z.object({ webhooks: z.boolean(), api_access: z.boolean(), outbound: z.boolean() });

const PlanView = z.object({
  id: z.string(),
  name: z.string(),
  limits: Limits,
  features: Features,
  mailboxRetention: z.record(z.string(), z.number()),
  created: z.string().openapi({ format: "date-time" }),
}).openapi("Plan");

const PlanPatch = z.object({
  name: z.string().max(200).optional(),
  limits: Limits.partial().optional(),
  features: Features.partial().optional(),
  mailboxRetention: z.record(z.string().max(200), z.number().int().min(0).nullable()).optional(),
});

const UsageRowView = z.object({
  orgId: z.string(),
  month: z.string(),
  counts: z.object({ received: z.number().int(), sent: z.number().int(), apiCalls: z.number().int() }),
  storageBytes: z.number().int(),
  limits: Limits.nullable(),
}).passthrough().openapi("UsageRow");

const Id = z.object({ id: z.string().max(64).openapi({ param: { name: "id", in: "path" } }) });

/** Organization and plan ids (core/tenancy): `[a-z0-9][a-z0-9-]{0,62}`. */
const ShortName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "expected [a-z0-9][a-z0-9-]{0,62}");

const iso = <T extends { created: Date }>(v: T) => ({ ...v, created: v.created.toISOString() });

/** Registers the organization, plan and usage routes. */
export function register(app: ApiApp, deps: ApiDeps, auth: MiddlewareHandler<ApiEnv>): void {
  const { store, clock } = deps.server;

  app.openapi(
    createRoute({
      method: "get",
      path: "/organizations",
      operationId: "listOrganizations",
      summary: "Organizations: all for a platform administrator, else the caller's.",
      security: BEARER,
      middleware: [auth] as const,
      request: { query: PageQuery },
      responses: {
        200: { description: "A page.", content: json(pageOf(OrgView, "OrganizationPage")) },
        ...problems(400, 401, 403),
      },
    }),
    async (c) => {
      const p = authorize(c, "organization", "read", { orgId: principalOf(c).orgId });
      const all = effectiveReach(p) === "platform";
      const list = (await listOrganizations(store)).filter((o) => all || o.id === p.orgId);
      return c.json(paginate(list.map(iso), (o) => o.id, c.req.valid("query")), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/organizations",
      operationId: "createOrganization",
      summary: "Create an organization (platform administrators).",
      security: BEARER,
      middleware: [auth] as const,
      request: {
        body: jsonBody(z.object({
          id: ShortName,
          name: z.string().max(200).optional(),
          plan: z.string().max(63).nullable().optional(),
          domains: z.array(z.string().max(255)).max(1000).optional(),
        })),
      },
      responses: {
        201: { description: "Created.", content: json(OrgDetails) },
        ...problems(400, 401, 403, 409),
      },
    }),
    async (c) => {
      authorize(c, "organization", "write");
      const org = await addOrganization(store, c.req.valid("json"));
      await deps.audit.change(actorOf(c), {
        action: "organization.create",
        orgId: org.id,
        target: org.id,
        after: { planId: org.planId },
      });
      return c.json(iso(await showOrganization(store, org.id, clock.now())), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/organizations/{id}",
      operationId: "getOrganization",
      summary: "One organization with its plan, holdings, usage and roles.",
      security: BEARER,
      middleware: [auth] as const,
      request: { params: Id },
      responses: {
        200: { description: "The organization.", content: json(OrgDetails) },
        ...problems(401, 403, 404),
      },
    }),
    async (c) => {
      const id = c.req.valid("param").id;
      authorize(c, "organization", "read", { orgId: id });
      if (!(await store.organizations.get(id))) throw notFound("organization");
      return c.json(iso(await showOrganization(store, id, clock.now())), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/organizations/{id}",
      operationId: "updateOrganization",
      summary: "Put an organization on a plan (null: no limits).",
      security: BEARER,
      middleware: [auth] as const,
      request: { params: Id, body: jsonBody(z.object({ plan: z.string().max(63).nullable() })) },
      responses: {
        200: { description: "Updated.", content: json(OrgDetails) },
        ...problems(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const id = c.req.valid("param").id;
      authorize(c, "organization", "write", { orgId: id });
      const before = await store.organizations.get(id);
      if (!before) throw notFound("organization");
      await setOrganizationPlan(store, id, c.req.valid("json").plan);
      await deps.audit.change(actorOf(c), {
        action: "organization.plan",
        orgId: id,
        target: id,
        before: { planId: before.planId },
        after: { planId: c.req.valid("json").plan },
      });
      return c.json(iso(await showOrganization(store, id, clock.now())), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/organizations/{id}",
      operationId: "deleteOrganization",
      summary: "Delete an organization that owns no domain.",
      security: BEARER,
      middleware: [auth] as const,
      request: { params: Id },
      responses: { 204: { description: "Deleted." }, ...problems(401, 403, 404, 409) },
    }),
    async (c) => {
      const id = c.req.valid("param").id;
      authorize(c, "organization", "write", { orgId: id });
      await deleteOrganization(store, id);
      await deps.audit.change(actorOf(c), { action: "organization.delete", orgId: id, target: id });
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/organizations/{id}/roles",
      operationId: "setRole",
      summary: "Give an account of the organization a role (owner, admin, member).",
      security: BEARER,
      middleware: [auth] as const,
      request: {
        params: Id,
        body: jsonBody(
          z.object({ address: z.string().max(320), role: z.enum(["owner", "admin", "member"]) }),
        ),
      },
      responses: { 204: { description: "Set." }, ...problems(400, 401, 403, 404) },
    }),
    async (c) => {
      const id = c.req.valid("param").id;
      const { address, role } = c.req.valid("json");
      const p = authorize(c, "account", "write", { orgId: id });
      if (effectiveReach(p) === "self") throw new ApiProblem(403, "Not allowed to give roles.");
      const account = await store.getAccountByAddress(address);
      if (!account || (await deps.orgs.orgOfAccount(account.id)) !== id) throw notFound("account");
      await setRole(store, account.address, role);
      await deps.audit.change(actorOf(c), {
        action: "organization.role",
        orgId: id,
        target: account.address,
        after: { role },
      });
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/plans",
      operationId: "listPlans",
      summary: "Plans (readable by organization administrators).",
      security: BEARER,
      middleware: [auth] as const,
      request: { query: PageQuery },
      responses: {
        200: { description: "A page.", content: json(pageOf(PlanView, "PlanPage")) },
        ...problems(400, 401, 403),
      },
    }),
    async (c) => {
      authorize(c, "plan", "read", { orgId: principalOf(c).orgId });
      return c.json(paginate((await listPlans(store)).map(iso), (p) => p.id, c.req.valid("query")), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/plans",
      operationId: "createPlan",
      summary: "Create a plan (platform administrators).",
      security: BEARER,
      middleware: [auth] as const,
      request: { body: jsonBody(PlanPatch.extend({ id: ShortName })) },
      responses: {
        201: { description: "Created.", content: json(PlanView) },
        ...problems(400, 401, 403, 409),
      },
    }),
    async (c) => {
      authorize(c, "plan", "write");
      const plan = await addPlan(store, c.req.valid("json"));
      await deps.audit.change(actorOf(c), {
        action: "plan.create",
        target: plan.id,
        after: { limits: plan.limits, features: plan.features },
      });
      return c.json(iso(plan), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/plans/{id}",
      operationId: "getPlan",
      summary: "One plan.",
      security: BEARER,
      middleware: [auth] as const,
      request: { params: Id },
      responses: {
        200: {
          description: "The plan.",
          content: json(PlanView.extend({ organizations: z.array(z.string()) })),
        },
        ...problems(401, 403, 404),
      },
    }),
    async (c) => {
      const p = authorize(c, "plan", "read", { orgId: principalOf(c).orgId });
      const plan = await showPlan(store, c.req.valid("param").id);
      // Which organizations are on it is platform knowledge.
      const organizations = effectiveReach(p) === "platform"
        ? plan.organizations
        : plan.organizations.filter((o) => o === p.orgId);
      return c.json({ ...iso(plan), organizations }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/plans/{id}",
      operationId: "updatePlan",
      summary: "Change a plan's name, limits, features or retention (platform administrators).",
      security: BEARER,
      middleware: [auth] as const,
      request: { params: Id, body: jsonBody(PlanPatch) },
      responses: {
        200: { description: "Updated.", content: json(PlanView) },
        ...problems(400, 401, 403, 404),
      },
    }),
    async (c) => {
      authorize(c, "plan", "write");
      const id = c.req.valid("param").id;
      const before = await store.plans.get(id);
      const plan = await setPlan(store, id, c.req.valid("json"));
      await deps.audit.change(actorOf(c), {
        action: "plan.update",
        target: id,
        before: before ? { limits: before.limits, features: before.features } : null,
        after: { limits: plan.limits, features: plan.features },
      });
      return c.json(iso(plan), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/plans/{id}",
      operationId: "deletePlan",
      summary: "Delete a plan no organization is on.",
      security: BEARER,
      middleware: [auth] as const,
      request: { params: Id },
      responses: { 204: { description: "Deleted." }, ...problems(401, 403, 404, 409) },
    }),
    async (c) => {
      authorize(c, "plan", "write");
      await deletePlan(store, c.req.valid("param").id);
      await deps.audit.change(actorOf(c), { action: "plan.delete", target: c.req.valid("param").id });
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/usage",
      operationId: "usage",
      summary: "Usage of a month per organization (the caller's; all or `org` for a platform administrator).",
      security: BEARER,
      middleware: [auth] as const,
      request: {
        query: z.object({
          org: z.string().max(64).optional().openapi({ param: { name: "org", in: "query" } }),
          month: z.string().max(7).optional().openapi({
            param: { name: "month", in: "query" },
            description: "YYYY-MM",
          }),
        }),
      },
      responses: {
        200: { description: "Usage rows.", content: json(z.object({ items: z.array(UsageRowView) })) },
        ...problems(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const p = principalOf(c);
      const platform = effectiveReach(p) === "platform";
      const org = q.org ?? (platform ? undefined : p.orgId);
      authorize(c, "usage", "read", org !== undefined ? { orgId: org } : {});
      if (!platform && org === undefined) throw notFound("organization");
      const rows = await usageReport(store, {
        ...(org !== undefined ? { org } : {}),
        ...(q.month ? { month: q.month } : {}),
      }, clock.now());
      return c.json({ items: rows }, 200);
    },
  );
}
