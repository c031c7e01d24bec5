/**
 * Health: `GET /health/detailed` on the HTTP listener (beside the liveness `GET /health`; guarded by
 * `[metrics] token` like `/metrics`, for monitoring systems: 200 while serving, 503 when a component
 * is down), and in the admin API for platform admins `GET /admin/health` (the same report) and
 * `GET /admin/health/history` (the periodic reports kept in the store). The checks are core/health's.
 *
 * @module
 */
import type { Env, Hono, MiddlewareHandler } from "hono";
import { createRoute, z } from "@hono/zod-openapi";
import type { ApiApp, ApiDeps, ApiEnv } from "../env.ts";
import { authorize } from "../env.ts";
import { BEARER, json, problems } from "../schemas.ts";
import type { ServerContext } from "../../../core/context.ts";
import type { HealthCheckRecord } from "../../../core/health/checks.ts";
import { metricsGuard } from "./metrics.ts";

const Status = z.enum(["healthy", "degraded", "down"]);

const Component = z.object({
  name: z.string().openapi({ description: "store (postgresql), blobs, queue, disk, certificates, dns" }),
  status: Status,
  responseMs: z.number(),
  detail: z.string(),
});

const HealthReport = z.object({
  status: Status.openapi({ description: "The worst component's status." }),
  checkedAt: z.string().openapi({ format: "date-time" }),
  components: z.array(Component),
}).openapi("HealthReport");

const HealthHistory = z.object({ items: z.array(HealthReport) }).openapi("HealthHistory");

const HistoryQuery = z.object({
  since: z.string().datetime({ offset: true }).optional().openapi({
    param: { name: "since", in: "query" },
    description: "Only reports checked at or after this time.",
  }),
  limit: z.coerce.number().int().min(1).max(1000).optional().openapi({
    param: { name: "limit", in: "query" },
    description: "Most recent reports to return (1–1000, default 100).",
  }),
});

/** A report as JSON. */
export function reportView(r: HealthCheckRecord): z.infer<typeof HealthReport> {
  return { status: r.status, checkedAt: r.checkedAt.toISOString(), components: r.components };
}

/** Mounts `GET /health/detailed` on the HTTP app. */
export function mountHealth<E extends Env>(http: Hono<E>, server: ServerContext): void {
  http.get("/health/detailed", async (c) => {
    const denied = metricsGuard(server, c.req.header("authorization") ?? null);
    if (denied) return denied;
    if (!server.health) return c.json({ status: "down", detail: "no health checks" }, 503);
    const report = await server.health.check();
    c.header("Cache-Control", "no-store");
    return c.json(reportView(report), report.status === "down" ? 503 : 200);
  });
}

/** Registers the admin API's health routes. */
export function register(app: ApiApp, deps: ApiDeps, auth: MiddlewareHandler<ApiEnv>): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/admin/health",
      operationId: "adminHealth",
      summary: "Check every component now (store, blobs, queue, disk, certificates, DNS).",
      security: BEARER,
      middleware: [auth] as const,
      responses: {
        200: { description: "The report (whatever the components' states).", content: json(HealthReport) },
        ...problems(401, 403),
      },
    }),
    async (c) => {
      authorize(c, "health", "read");
      // Every server built by createServer has its monitor; a bare context has none to ask.
      const monitor = deps.server.health;
      if (!monitor) throw new Error("no health monitor in this server context");
      return c.json(reportView(await monitor.check()), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/admin/health/history",
      operationId: "adminHealthHistory",
      summary: "The periodic health reports kept (`[health] interval`, `history_days`), newest first.",
      security: BEARER,
      middleware: [auth] as const,
      request: { query: HistoryQuery },
      responses: {
        200: { description: "Reports, newest first.", content: json(HealthHistory) },
        ...problems(400, 401, 403),
      },
    }),
    async (c) => {
      authorize(c, "health", "read");
      const q = c.req.valid("query");
      const items = await deps.server.store.healthChecks.list({
        ...(q.since !== undefined ? { since: new Date(q.since) } : {}),
        limit: q.limit ?? 100,
      });
      return c.json({ items: items.map(reportView) }, 200);
    },
  );
}
