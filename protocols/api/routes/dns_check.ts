/**
 * `GET /domains/{name}/dns-check`: the domain's DNS records to publish (core/setup/dns_records.ts,
 * as `GET /domains/{name}` lists them) compared with what the resolver answers now
 * (core/setup/dns_check.ts, as `tern dns check` does; `[[queue.static_dns]]` answers in tests).
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { createRoute, z } from "@hono/zod-openapi";
import type { ApiApp, ApiDeps, ApiEnv } from "../env.ts";
import { authorize } from "../env.ts";
import { BEARER, json, problems } from "../schemas.ts";
import { notFound } from "../problem.ts";
import { normalizeDomain } from "../../../core/cli/directory_ops.ts";
import { domainRecords, listenerPorts, policyId } from "../../../core/setup/dns_records.ts";
import { allRequiredOk, checkRecords } from "../../../core/setup/dns_check.ts";
import { resolverFor } from "../../../core/queue/start.ts";

const Check = z.object({
  name: z.string(),
  type: z.string(),
  value: z.string(),
  purpose: z.string(),
  required: z.boolean(),
  status: z.enum(["ok", "missing", "mismatch", "error"]),
  detail: z.string(),
}).openapi("DnsCheck");

/** Registers the DNS check route. */
export function register(app: ApiApp, deps: ApiDeps, auth: MiddlewareHandler<ApiEnv>): void {
  const { store, config, clock } = deps.server;
  app.openapi(
    createRoute({
      method: "get",
      path: "/domains/{name}/dns-check",
      operationId: "checkDomainDns",
      summary: "Check the domain's DNS records against what the resolver answers now.",
      security: BEARER,
      middleware: [auth] as const,
      request: {
        params: z.object({ name: z.string().max(255).openapi({ param: { name: "name", in: "path" } }) }),
      },
      responses: {
        200: {
          description: "Each record's verdict.",
          content: json(z.object({ allRequiredOk: z.boolean(), checks: z.array(Check) })),
        },
        ...problems(401, 404),
      },
    }),
    async (c) => {
      let name: string;
      try {
        name = normalizeDomain(c.req.valid("param").name);
      } catch {
        throw notFound("domain");
      }
      if (!(await store.listDomains()).some((d) => d.name === name)) throw notFound("domain");
      authorize(c, "domain", "read", { orgId: await deps.orgs.orgOfDomain(name) });
      const records = domainRecords({
        domain: name,
        hostname: config.hostname,
        dkim: await store.dkimKeys.list(name),
        reportAddress: `postmaster@${name}`,
        mtaStsId: policyId(clock.now()),
        ports: listenerPorts(config),
      });
      const checks = await checkRecords(resolverFor(config), records, config.hostname);
      return c.json({
        allRequiredOk: allRequiredOk(checks),
        checks: checks.map((k) => ({
          name: k.record.name,
          type: k.record.type,
          value: k.record.value,
          purpose: k.record.purpose,
          required: k.record.required,
          status: k.status,
          detail: k.detail,
        })),
      }, 200);
    },
  );
}
