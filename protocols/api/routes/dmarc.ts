/**
 * `GET /admin/dmarc/reports`: the DMARC aggregate reports other receivers sent us (RFC 7489 §7.2),
 * as parsed on delivery (core/mailauth/dmarc_incoming.ts), newest first; the same records as
 * `tern dmarc reports`. Platform administrators only (core/authz `dmarc`).
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { createRoute, z } from "@hono/zod-openapi";
import type { ApiApp, ApiDeps, ApiEnv } from "../env.ts";
import { authorize } from "../env.ts";
import { BEARER, json, problems } from "../schemas.ts";
import type { DmarcReport } from "../../../core/store/records/dmarc.ts";

const Row = z.object({
  sourceIp: z.string(),
  count: z.number().int(),
  headerFrom: z.string(),
  disposition: z.enum(["none", "quarantine", "reject"]),
  dkim: z.enum(["pass", "fail"]).openapi({ description: "DMARC-aligned DKIM verdict." }),
  spf: z.enum(["pass", "fail"]).openapi({ description: "DMARC-aligned SPF verdict." }),
  override: z.enum(["forwarded", "local_policy", "sampled_out"]).optional(),
  envelopeFrom: z.string(),
  dkimResults: z.array(z.object({ domain: z.string(), selector: z.string(), result: z.string() })),
  spfResult: z.object({ domain: z.string(), scope: z.enum(["mfrom", "helo"]), result: z.string() }),
}).openapi("DmarcReportRow");

const Report = z.object({
  orgName: z.string().openapi({ description: "The receiver that sent the report." }),
  reportId: z.string(),
  domain: z.string().openapi({ description: "Our policy domain the report is about." }),
  begin: z.string().openapi({ format: "date-time" }),
  end: z.string().openapi({ format: "date-time" }),
  received: z.string().openapi({ format: "date-time" }),
  messages: z.number().int(),
  passed: z.number().int().openapi({ description: "Messages with aligned DKIM or SPF pass." }),
  rows: z.array(Row),
}).openapi("DmarcReport");

const ReportsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional().openapi({
    param: { name: "limit", in: "query" },
    description: "Most reports returned (1–1000, default 50).",
  }),
});

const view = (r: DmarcReport): z.infer<typeof Report> => ({
  ...r,
  begin: r.begin.toISOString(),
  end: r.end.toISOString(),
  received: r.received.toISOString(),
});

/** Registers the DMARC reports route. */
export function register(app: ApiApp, deps: ApiDeps, auth: MiddlewareHandler<ApiEnv>): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/admin/dmarc/reports",
      operationId: "listDmarcReports",
      summary: "DMARC aggregate reports received from other domains' receivers, newest first.",
      security: BEARER,
      middleware: [auth] as const,
      request: { query: ReportsQuery },
      responses: {
        200: { description: "The reports.", content: json(z.object({ items: z.array(Report) })) },
        ...problems(400, 401, 403),
      },
    }),
    async (c) => {
      authorize(c, "dmarc", "read");
      const reports = await deps.server.store.dmarc.listReports(c.req.valid("query").limit ?? 50);
      return c.json({ items: reports.map(view) }, 200);
    },
  );
}
