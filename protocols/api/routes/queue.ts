/**
 * The outbound queue: `GET /queue` (list), `GET /queue/stats`, `GET /queue/{id}` (recipients and
 * attempts), `POST /queue/{id}/retry`, `DELETE /queue/{id}` and `POST /queue/process` (every
 * pending recipient now). Platform admins only (core/authz `queue`). The rules are
 * core/queue/operations.ts's, the same `tern queue` runs.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { createRoute, z } from "@hono/zod-openapi";
import type { ApiApp, ApiDeps, ApiEnv } from "../env.ts";
import { actorOf, authorize } from "../env.ts";
import { BEARER, json, problems } from "../schemas.ts";
import { ApiProblem } from "../problem.ts";
import { pageOf, PageQuery, paginate } from "../pagination.ts";
import { type LiveQueue, QueueOperations } from "../../../core/queue/operations.ts";
import type { QueueEntry, QueueListRow } from "../../../core/store/records/queue.ts";
import type { ServerContext } from "../../../core/context.ts";

const QueueItem = z.object({
  id: z.string(),
  from: z.string().nullable().openapi({ description: "Reverse-path; null for the null sender." }),
  size: z.number().int(),
  createdAt: z.string().openapi({ format: "date-time" }),
  recipients: z.number().int(),
  pending: z.number().int(),
  nextAttemptAt: z.string().nullable().openapi({ format: "date-time" }),
  lastReply: z.string().nullable(),
}).openapi("QueueItem");

const QueueRecipient = z.object({
  index: z.number().int(),
  address: z.string(),
  status: z.enum(["queued", "deferred", "delivered", "failed"]),
  attempts: z.number().int(),
  nextAttemptAt: z.string().nullable().openapi({ format: "date-time" }),
  lastReply: z.string().nullable(),
  lastHost: z.string().nullable(),
});

const QueueAttempt = z.object({
  at: z.string().openapi({ format: "date-time" }),
  recipients: z.array(z.number().int()),
  host: z.string().nullable(),
  outcome: z.enum(["delivered", "deferred", "failed"]),
  reply: z.string(),
  latencyMs: z.number(),
});

const QueueMessage = z.object({
  id: z.string(),
  from: z.string().nullable(),
  size: z.number().int(),
  createdAt: z.string().openapi({ format: "date-time" }),
  expiresAt: z.string().openapi({ format: "date-time" }),
  envid: z.string().nullable(),
  ret: z.enum(["FULL", "HDRS"]).nullable(),
  isDsn: z.boolean(),
  recipients: z.array(QueueRecipient),
  attempts: z.array(QueueAttempt),
}).openapi("QueueMessage");

const QueueStatsSchema = z.object({
  messages: z.number().int(),
  recipients: z.object({
    queued: z.number().int(),
    deferred: z.number().int(),
    delivered: z.number().int(),
    failed: z.number().int(),
  }),
  bytes: z.number().int(),
  oldest: z.string().nullable().openapi({ format: "date-time" }),
  nextAttemptAt: z.string().nullable().openapi({ format: "date-time" }),
  attempts: z.number().int(),
}).openapi("QueueStats");

const Retried = z.object({ id: z.string(), retried: z.literal(true) }).openapi("QueueRetried");
const Processed = z.object({ recipients: z.number().int() }).openapi("QueueProcessed");

const IdParam = z.object({
  id: z.string().min(1).max(128).openapi({ param: { name: "id", in: "path" } }),
});

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

function itemView(r: QueueListRow): z.infer<typeof QueueItem> {
  return {
    id: r.id,
    from: r.from,
    size: r.size,
    createdAt: r.createdAt.toISOString(),
    recipients: r.recipients,
    pending: r.pending,
    nextAttemptAt: iso(r.nextAttemptAt),
    lastReply: r.lastReply,
  };
}

/** A queued message as the API shows it (pending recipients with their next attempt). */
export function queueMessageView(e: QueueEntry): z.infer<typeof QueueMessage> {
  const m = e.message;
  return {
    id: m.id,
    from: m.from,
    size: m.size,
    createdAt: m.createdAt.toISOString(),
    expiresAt: m.expiresAt.toISOString(),
    envid: m.envid,
    ret: m.ret,
    isDsn: m.isDsn,
    recipients: e.recipients.map((r) => ({
      index: r.index,
      address: r.address,
      status: r.status,
      attempts: r.attempts,
      nextAttemptAt: r.status === "queued" || r.status === "deferred" ? r.nextAttemptAt.toISOString() : null,
      lastReply: r.lastReply,
      lastHost: r.lastHost,
    })),
    attempts: e.attempts.map((a) => ({
      at: a.at.toISOString(),
      recipients: a.recipients,
      host: a.host,
      outcome: a.outcome,
      reply: a.reply,
      latencyMs: a.latencyMs,
    })),
  };
}

/** The queue operations of a running server (its scheduler is woken by retries). */
export function queueOperations(server: ServerContext): QueueOperations {
  const out = server.outbound as Partial<LiveQueue> | undefined;
  const live = out && typeof out.retry === "function" ? (out as LiveQueue) : null;
  return new QueueOperations(server.store, live);
}

const noSuchMessage = () => new ApiProblem(404, "No such queued message.");

/** Registers the queue routes. */
export function register(app: ApiApp, deps: ApiDeps, auth: MiddlewareHandler<ApiEnv>): void {
  const ops = () => queueOperations(deps.server);

  app.openapi(
    createRoute({
      method: "get",
      path: "/queue",
      operationId: "listQueue",
      summary: "Messages in the outbound queue, by id.",
      security: BEARER,
      middleware: [auth] as const,
      request: { query: PageQuery },
      responses: {
        200: { description: "A page of queued messages.", content: json(pageOf(QueueItem, "QueuePage")) },
        ...problems(400, 401, 403),
      },
    }),
    async (c) => {
      authorize(c, "queue", "read");
      const page = paginate(await ops().list(), (r) => r.id, c.req.valid("query"));
      return c.json({ items: page.items.map(itemView), nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/queue/stats",
      operationId: "queueStats",
      summary: "Queue statistics: messages, recipients by state, bytes, oldest entry, attempts.",
      security: BEARER,
      middleware: [auth] as const,
      responses: {
        200: { description: "Statistics.", content: json(QueueStatsSchema) },
        ...problems(401, 403),
      },
    }),
    async (c) => {
      authorize(c, "queue", "read");
      const s = await ops().stats();
      return c.json({ ...s, oldest: iso(s.oldest), nextAttemptAt: iso(s.nextAttemptAt) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/queue/process",
      operationId: "processQueue",
      summary: "Make every pending recipient due now and wake the scheduler.",
      security: BEARER,
      middleware: [auth] as const,
      responses: {
        200: { description: "How many recipients are due now.", content: json(Processed) },
        ...problems(401, 403),
      },
    }),
    async (c) => {
      authorize(c, "queue", "write");
      const n = await ops().flush(deps.server.clock.now());
      await deps.audit.change(actorOf(c), { action: "queue.process", orgId: null, after: { recipients: n } });
      return c.json({ recipients: n }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/queue/{id}",
      operationId: "getQueuedMessage",
      summary: "A queued message with its recipients and delivery attempts.",
      security: BEARER,
      middleware: [auth] as const,
      request: { params: IdParam },
      responses: {
        200: { description: "The message.", content: json(QueueMessage) },
        ...problems(401, 403, 404),
      },
    }),
    async (c) => {
      authorize(c, "queue", "read");
      const e = await ops().show(c.req.valid("param").id);
      if (!e) throw noSuchMessage();
      return c.json(queueMessageView(e), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/queue/{id}/retry",
      operationId: "retryQueuedMessage",
      summary: "Retry a queued message's pending recipients now.",
      security: BEARER,
      middleware: [auth] as const,
      request: { params: IdParam },
      responses: {
        200: { description: "Due now.", content: json(Retried) },
        ...problems(401, 403, 404),
      },
    }),
    async (c) => {
      authorize(c, "queue", "write");
      const { id } = c.req.valid("param");
      if (!(await ops().retry(id, deps.server.clock.now()))) throw noSuchMessage();
      await deps.audit.change(actorOf(c), { action: "queue.retry", orgId: null, target: id });
      return c.json({ id, retried: true as const }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/queue/{id}",
      operationId: "deleteQueuedMessage",
      summary: "Remove a queued message; no bounce is sent.",
      security: BEARER,
      middleware: [auth] as const,
      request: { params: IdParam },
      responses: { 204: { description: "Deleted." }, ...problems(401, 403, 404) },
    }),
    async (c) => {
      authorize(c, "queue", "write");
      const { id } = c.req.valid("param");
      const before = await ops().show(id);
      if (!before || !(await ops().delete(id))) throw noSuchMessage();
      await deps.audit.change(actorOf(c), {
        action: "queue.delete",
        orgId: null,
        target: id,
        before: {
          from: before.message.from,
          size: before.message.size,
          recipients: before.recipients.map((r) => r.address),
        },
      });
      return c.body(null, 204);
    },
  );
}
