/**
 * Webhooks: `GET /webhooks`, `POST /webhooks` (the secret is returned once), `GET|DELETE
 * /webhooks/{id}`, `POST /webhooks/{id}/test`, the delivery log `GET /webhooks/{id}/deliveries`
 * (status, response code, latency, attempts), one delivery with its attempts, and `POST
 * /webhooks/{id}/deliveries/{deliveryId}/replay`. Organization admins manage the webhooks of their
 * organization's addresses and domains and of the organization itself; `system` webhooks (admin
 * notifications) are the platform's. Creating one needs the plan's `webhooks` feature. The rules
 * are core/webhooks/operations.ts's, the same `tern webhook` runs.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { createRoute, z } from "@hono/zod-openapi";
import type { ApiApp, ApiContext, ApiDeps, ApiEnv } from "../env.ts";
import { actorOf, authorize, principalOf } from "../env.ts";
import { BEARER, json, jsonBody, problems } from "../schemas.ts";
import { ApiProblem } from "../problem.ts";
import { pageOf, PageQuery, paginate } from "../pagination.ts";
import { listScope } from "../../../core/authz/matrix.ts";
import type { Action } from "../../../core/authz/matrix.ts";
import { featureEnabled } from "../../../core/tenancy/features.ts";
import {
  addWebhook,
  deleteWebhook,
  parseScope,
  WebhookError,
  webhookView,
} from "../../../core/webhooks/operations.ts";
import { sendTest } from "../../../core/webhooks/service.ts";
import { outboundHttpClient } from "../../../core/net/outbound_http_config.ts";
import {
  WEBHOOK_EVENTS,
  type WebhookDelivery,
  type WebhookRecord,
} from "../../../core/store/records/webhooks.ts";

/** The organization a `system` webhook is filed under: none, so only platform reach sees it. */
const PLATFORM_ONLY = "";

const Webhook = z.object({
  id: z.string(),
  scope: z.string().openapi({ example: "address:ada@example.org" }),
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENTS)),
  enabled: z.boolean(),
  failures: z.number().int().openapi({ description: "Consecutive failed attempts (circuit breaker)." }),
  pausedUntil: z.string().nullable().openapi({ format: "date-time", description: "Circuit open until." }),
  created: z.string().openapi({ format: "date-time" }),
}).openapi("Webhook");

const CreatedWebhook = Webhook.extend({
  secret: z.string().openapi({ description: "Standard Webhooks signing secret (whsec_…), shown only now." }),
}).openapi("CreatedWebhook");

const NewWebhook = z.object({
  scope: z.string().min(1).max(320).openapi({
    description: "address:<a@b>, domain:<d>, org:<id> or system.",
  }),
  url: z.string().min(1).max(2048),
  events: z.array(z.enum(WEBHOOK_EVENTS)).max(WEBHOOK_EVENTS.length).optional(),
  secret: z.string().max(200).optional(),
}).openapi("NewWebhook");

const Delivery = z.object({
  id: z.string().openapi({ description: "Also the webhook-id header of every attempt." }),
  event: z.enum(WEBHOOK_EVENTS),
  status: z.enum(["pending", "delivered", "failed"]),
  attempts: z.number().int(),
  nextAttemptAt: z.string().nullable().openapi({ format: "date-time" }),
  createdAt: z.string().openapi({ format: "date-time" }),
  expiresAt: z.string().openapi({ format: "date-time" }),
  lastStatusCode: z.number().int().nullable(),
  lastLatencyMs: z.number().int().nullable(),
  lastError: z.string().nullable(),
  completedAt: z.string().nullable().openapi({ format: "date-time" }),
}).openapi("WebhookDelivery");

const Attempt = z.object({
  attempt: z.number().int(),
  at: z.string().openapi({ format: "date-time" }),
  statusCode: z.number().int().nullable(),
  latencyMs: z.number().int(),
  error: z.string().nullable(),
});

const DeliveryWithAttempts = Delivery.extend({ attempts_log: z.array(Attempt) }).openapi(
  "WebhookDeliveryDetail",
);

const TestResult = z.object({
  ok: z.boolean(),
  statusCode: z.number().int().nullable(),
  latencyMs: z.number().int(),
  error: z.string().nullable(),
}).openapi("WebhookTestResult");

const IdParam = z.object({
  id: z.string().min(1).max(64).openapi({ param: { name: "id", in: "path" } }),
});
const DeliveryParam = IdParam.extend({
  deliveryId: z.string().min(1).max(64).openapi({ param: { name: "deliveryId", in: "path" } }),
});
const DeliveriesQuery = PageQuery.extend({
  status: z.enum(["pending", "delivered", "failed"]).optional().openapi({
    param: { name: "status", in: "query" },
  }),
});

function deliveryView(d: WebhookDelivery): z.infer<typeof Delivery> {
  return {
    id: d.id,
    event: d.event,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.status === "pending" ? d.nextAttemptAt.toISOString() : null,
    createdAt: d.createdAt.toISOString(),
    expiresAt: d.expiresAt.toISOString(),
    lastStatusCode: d.lastStatusCode,
    lastLatencyMs: d.lastLatencyMs,
    lastError: d.lastError,
    completedAt: d.completedAt?.toISOString() ?? null,
  };
}

/** Registers the webhook routes. */
export function register(app: ApiApp, deps: ApiDeps, auth: MiddlewareHandler<ApiEnv>): void {
  const { server } = deps;

  /** The organization a webhook (or a scope about to get one) belongs to. */
  async function orgOfScope(kind: WebhookRecord["scopeKind"], value: string): Promise<string> {
    if (kind === "system") return PLATFORM_ONLY;
    if (kind === "organization") return value;
    if (kind === "domain") return await deps.orgs.orgOfDomain(value);
    return await deps.orgs.orgOfDomain(value.slice(value.lastIndexOf("@") + 1));
  }

  /** The webhook if the caller may `action` it (404 outside its reach, as the matrix says). */
  async function reachable(c: ApiContext, id: string, action: Action): Promise<WebhookRecord> {
    const hook = await server.store.webhooks.get(id);
    if (!hook) throw new ApiProblem(404, "No such webhook.");
    authorize(c, "webhook", action, { orgId: await orgOfScope(hook.scopeKind, hook.scope) });
    return hook;
  }

  app.openapi(
    createRoute({
      method: "get",
      path: "/webhooks",
      operationId: "listWebhooks",
      summary: "Webhooks the caller manages, by id.",
      security: BEARER,
      middleware: [auth] as const,
      request: { query: PageQuery },
      responses: {
        200: { description: "A page of webhooks.", content: json(pageOf(Webhook, "WebhookPage")) },
        ...problems(400, 401, 403),
      },
    }),
    async (c) => {
      authorize(c, "webhook", "read");
      const scope = listScope(principalOf(c));
      const all = await server.store.webhooks.list();
      const visible: WebhookRecord[] = [];
      for (const w of all) {
        if ("all" in scope || ("orgId" in scope && await orgOfScope(w.scopeKind, w.scope) === scope.orgId)) {
          visible.push(w);
        }
      }
      const page = paginate(visible, (w) => w.id, c.req.valid("query"));
      return c.json({ items: page.items.map(webhookView), nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/webhooks",
      operationId: "createWebhook",
      summary: "Add a webhook; the response carries its signing secret, shown only once.",
      security: BEARER,
      middleware: [auth] as const,
      request: { body: jsonBody(NewWebhook) },
      responses: {
        201: { description: "Created.", content: json(CreatedWebhook) },
        ...problems(400, 401, 403, 404, 422),
      },
    }),
    async (c) => {
      const input = c.req.valid("json");
      let scope;
      try {
        scope = parseScope(input.scope);
      } catch (e) {
        throw new ApiProblem(400, (e as Error).message);
      }
      const orgId = await orgOfScope(scope.kind, scope.value);
      authorize(c, "webhook", "write", { orgId });
      if (orgId !== PLATFORM_ONLY && !(await featureEnabled(server, { orgId }, "webhooks"))) {
        throw new ApiProblem(403, "The organization's plan does not include webhooks.");
      }
      let hook: WebhookRecord;
      try {
        hook = await addWebhook(server.store, input, server.clock.now());
      } catch (e) {
        if (e instanceof WebhookError) throw new ApiProblem(e.invalid ? 400 : 422, e.message);
        throw e;
      }
      server.webhooks?.directory.invalidate();
      await deps.audit.change(actorOf(c), {
        action: "webhook.create",
        orgId: orgId === PLATFORM_ONLY ? null : orgId,
        target: hook.id,
        after: { ...webhookView(hook) },
      });
      return c.json({ ...webhookView(hook), secret: hook.secret }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/webhooks/{id}",
      operationId: "getWebhook",
      summary: "A webhook (without its secret).",
      security: BEARER,
      middleware: [auth] as const,
      request: { params: IdParam },
      responses: { 200: { description: "The webhook.", content: json(Webhook) }, ...problems(401, 403, 404) },
    }),
    async (c) => c.json(webhookView(await reachable(c, c.req.valid("param").id, "read")), 200),
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/webhooks/{id}",
      operationId: "deleteWebhook",
      summary: "Delete a webhook with its pending deliveries and log.",
      security: BEARER,
      middleware: [auth] as const,
      request: { params: IdParam },
      responses: { 204: { description: "Deleted." }, ...problems(401, 403, 404) },
    }),
    async (c) => {
      const hook = await reachable(c, c.req.valid("param").id, "write");
      await deleteWebhook(server.store, hook.id);
      server.webhooks?.directory.invalidate();
      const orgId = await orgOfScope(hook.scopeKind, hook.scope);
      await deps.audit.change(actorOf(c), {
        action: "webhook.delete",
        orgId: orgId === PLATFORM_ONLY ? null : orgId,
        target: hook.id,
        before: { ...webhookView(hook) },
      });
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/webhooks/{id}/test",
      operationId: "testWebhook",
      summary: "Send a signed webhook.test event now (through the SSRF guard) and report the answer.",
      security: BEARER,
      middleware: [auth] as const,
      request: { params: IdParam },
      responses: {
        200: { description: "The outcome.", content: json(TestResult) },
        ...problems(401, 403, 404),
      },
    }),
    async (c) => {
      const hook = await reachable(c, c.req.valid("param").id, "write");
      const result = server.webhooks
        ? await server.webhooks.test(hook)
        : await sendTest((r) => outboundHttpClient(server.config).request(r), hook, server.clock.now());
      return c.json({
        ok: result.ok,
        statusCode: result.statusCode,
        latencyMs: result.latencyMs,
        error: result.error,
      }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/webhooks/{id}/deliveries",
      operationId: "listWebhookDeliveries",
      summary: "The delivery log of a webhook, newest first (status, response code, latency, attempts).",
      security: BEARER,
      middleware: [auth] as const,
      request: { params: IdParam, query: DeliveriesQuery },
      responses: {
        200: { description: "A page of deliveries.", content: json(pageOf(Delivery, "WebhookDeliveryPage")) },
        ...problems(400, 401, 403, 404),
      },
    }),
    async (c) => {
      const hook = await reachable(c, c.req.valid("param").id, "read");
      const q = c.req.valid("query");
      const rows = await server.store.webhooks.deliveries(hook.id, { status: q.status, limit: 1000 });
      // Newest first: the cursor key sorts descending by creation time.
      const key = (d: WebhookDelivery) =>
        `${String(8.64e15 - d.createdAt.getTime()).padStart(16, "0")}${d.id}`;
      const page = paginate(rows, key, q);
      return c.json({ items: page.items.map(deliveryView), nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/webhooks/{id}/deliveries/{deliveryId}",
      operationId: "getWebhookDelivery",
      summary: "One delivery with every attempt.",
      security: BEARER,
      middleware: [auth] as const,
      request: { params: DeliveryParam },
      responses: {
        200: { description: "The delivery.", content: json(DeliveryWithAttempts) },
        ...problems(401, 403, 404),
      },
    }),
    async (c) => {
      const { id, deliveryId } = c.req.valid("param");
      const hook = await reachable(c, id, "read");
      const d = await server.store.webhooks.getDelivery(deliveryId);
      if (!d || d.webhookId !== hook.id) throw new ApiProblem(404, "No such delivery.");
      const attempts = await server.store.webhooks.attempts(d.id);
      return c.json({
        ...deliveryView(d),
        attempts_log: attempts.map((a) => ({
          attempt: a.attempt,
          at: a.at.toISOString(),
          statusCode: a.statusCode,
          latencyMs: a.latencyMs,
          error: a.error,
        })),
      }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/webhooks/{id}/deliveries/{deliveryId}/replay",
      operationId: "replayWebhookDelivery",
      summary: "Send a delivery again (same webhook-id).",
      security: BEARER,
      middleware: [auth] as const,
      request: { params: DeliveryParam },
      responses: {
        200: { description: "Pending again.", content: json(Delivery) },
        ...problems(401, 403, 404),
      },
    }),
    async (c) => {
      const { id, deliveryId } = c.req.valid("param");
      const hook = await reachable(c, id, "write");
      const d = await server.store.webhooks.getDelivery(deliveryId);
      if (!d || d.webhookId !== hook.id) throw new ApiProblem(404, "No such delivery.");
      const now = server.clock.now();
      const replayed = server.webhooks
        ? await server.webhooks.replay(d.id)
        : await server.store.webhooks.replay(d.id, now, new Date(now.getTime() + 86_400_000));
      await deps.audit.change(actorOf(c), {
        action: "webhook.replay",
        orgId: null,
        target: d.id,
      });
      return c.json(deliveryView(replayed!), 200);
    },
  );
}
