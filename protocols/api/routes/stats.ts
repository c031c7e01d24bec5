/**
 * `GET /admin/stats`: accounts, organizations, domains, messages and bytes stored, and deliveries,
 * deferrals and bounces per UTC day (core/stats). Platform admins only (core/authz `stats`).
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { createRoute, z } from "@hono/zod-openapi";
import type { ApiApp, ApiDeps, ApiEnv } from "../env.ts";
import { authorize } from "../env.ts";
import { BEARER, json, problems } from "../schemas.ts";
import { platformStats } from "../../../core/stats/platform.ts";

const Day = z.object({
  day: z.string().openapi({ description: "UTC day, YYYY-MM-DD." }),
  deliveredLocal: z.number().int().openapi({ description: "Recipients placed in a mailbox here." }),
  deliveredRemote: z.number().int().openapi({ description: "Remote recipients delivered by the queue." }),
  deferred: z.number().int().openapi({ description: "Delivery attempts deferred (to be retried)." }),
  bounced: z.number().int().openapi({ description: "Remote recipients failed for good." }),
});

const Stats = z.object({
  accounts: z.number().int(),
  disabledAccounts: z.number().int(),
  organizations: z.number().int(),
  domains: z.number().int(),
  messages: z.number().int().openapi({ description: "Messages stored, each once." }),
  bytes: z.number().int().openapi({ description: "Bytes the accounts' messages use." }),
  days: z.array(Day).openapi({ description: "The last `days` UTC days, oldest first, today included." }),
}).openapi("PlatformStats");

const StatsQuery = z.object({
  days: z.coerce.number().int().min(1).max(366).optional().openapi({
    param: { name: "days", in: "query" },
    description: "How many days of delivery counts (1–366, default 30).",
  }),
});

/** Registers the statistics route. */
export function register(app: ApiApp, deps: ApiDeps, auth: MiddlewareHandler<ApiEnv>): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/admin/stats",
      operationId: "platformStats",
      summary: "Platform statistics: accounts, organizations, storage, deliveries and bounces per day.",
      security: BEARER,
      middleware: [auth] as const,
      request: { query: StatsQuery },
      responses: {
        200: { description: "The statistics.", content: json(Stats) },
        ...problems(400, 401, 403),
      },
    }),
    async (c) => {
      authorize(c, "stats", "read");
      const { server } = deps;
      const stats = await platformStats(
        server.store,
        server.clock.now(),
        c.req.valid("query").days ?? 30,
        server.dailyCounters?.pending() ?? [],
      );
      return c.json(stats, 200);
    },
  );
}
