/**
 * Local domains: `GET/POST /domains`, `GET/DELETE /domains/{name}` (with the DKIM public keys and
 * every DNS record to publish, core/setup/dns_records.ts) and `POST /domains/{name}/dkim` (creates
 * the RSA and Ed25519 keys the domain lacks, as `tern setup` does). An organization administrator's
 * new domain joins its organization.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { createRoute, z } from "@hono/zod-openapi";
import type { ApiApp, ApiContext, ApiDeps, ApiEnv } from "../env.ts";
import { actorOf, authorize, principalOf } from "../env.ts";
import { BEARER, json, jsonBody, problems } from "../schemas.ts";
import { notFound } from "../problem.ts";
import { pageOf, PageQuery, paginate } from "../pagination.ts";
import { effectiveReach } from "../../../core/authz/principal.ts";
import { addDomain, deleteDomain, normalizeDomain } from "../../../core/cli/directory_ops.ts";
import { assignDomain } from "../../../core/tenancy/operations.ts";
import { ensureDkimKeys } from "../../../core/dkim/domain_keys.ts";
import { domainRecords, listenerPorts, policyId } from "../../../core/setup/dns_records.ts";
import { queueSettings } from "../../../core/queue/settings.ts";
import type { Domain } from "../../../core/store/types.ts";

const DomainSummary = z.object({
  name: z.string(),
  created: z.string().openapi({ format: "date-time" }),
  orgId: z.string(),
}).openapi("Domain");

const DkimKeyView = z.object({
  selector: z.string(),
  algorithm: z.enum(["rsa-sha256", "ed25519-sha256"]),
  publicKey: z.string().openapi({ description: "The p= value." }),
  created: z.string().openapi({ format: "date-time" }),
}).openapi("DkimKey");

const DnsRecordView = z.object({
  name: z.string(),
  type: z.string(),
  value: z.string(),
  purpose: z.string(),
  required: z.boolean(),
  note: z.string(),
}).openapi("DnsRecord");

const DomainDetails = DomainSummary.extend({
  dkim: z.array(DkimKeyView),
  dnsRecords: z.array(DnsRecordView),
}).openapi("DomainDetails");

const Name = z.object({ name: z.string().max(255).openapi({ param: { name: "name", in: "path" } }) });

/** Registers the domain routes. */
export function register(app: ApiApp, deps: ApiDeps, auth: MiddlewareHandler<ApiEnv>): void {
  const { store, config, clock } = deps.server;

  const load = async (c: ApiContext, raw: string, action: "read" | "write") => {
    let name: string;
    try {
      name = normalizeDomain(raw);
    } catch {
      throw notFound("domain");
    }
    const domain = (await store.listDomains()).find((d) => d.name === name);
    if (!domain) throw notFound("domain");
    const orgId = await deps.orgs.orgOfDomain(name);
    authorize(c, "domain", action, { orgId });
    return { domain, orgId };
  };

  const details = async (domain: Domain, orgId: string) => {
    const keys = await store.dkimKeys.list(domain.name);
    const records = domainRecords({
      domain: domain.name,
      hostname: config.hostname,
      dkim: keys,
      reportAddress: `postmaster@${domain.name}`,
      mtaStsId: policyId(clock.now()),
      ports: listenerPorts(config),
    });
    return {
      name: domain.name,
      created: domain.created.toISOString(),
      orgId,
      dkim: keys.map((k) => ({
        selector: k.selector,
        algorithm: k.algorithm,
        publicKey: k.publicKeyB64,
        created: k.created.toISOString(),
      })),
      dnsRecords: records.map((r) => ({
        name: r.name,
        type: r.type,
        value: r.value,
        purpose: r.purpose,
        required: r.required,
        note: r.note,
      })),
    };
  };

  app.openapi(
    createRoute({
      method: "get",
      path: "/domains",
      operationId: "listDomains",
      summary: "Local domains of the caller's organization (all of them for a platform administrator).",
      security: BEARER,
      middleware: [auth] as const,
      request: { query: PageQuery },
      responses: {
        200: { description: "A page of domains.", content: json(pageOf(DomainSummary, "DomainPage")) },
        ...problems(400, 401, 403),
      },
    }),
    async (c) => {
      const p = authorize(c, "domain", "read", { orgId: principalOf(c).orgId });
      const all = effectiveReach(p) === "platform";
      const out: z.infer<typeof DomainSummary>[] = [];
      for (const d of await store.listDomains()) {
        const orgId = await deps.orgs.orgOfDomain(d.name);
        if (all || orgId === p.orgId) out.push({ name: d.name, created: d.created.toISOString(), orgId });
      }
      return c.json(paginate(out, (d) => d.name, c.req.valid("query")), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/domains",
      operationId: "createDomain",
      summary: "Add a local domain (to the caller's organization).",
      security: BEARER,
      middleware: [auth] as const,
      request: { body: jsonBody(z.object({ name: z.string().min(1).max(255) })) },
      responses: {
        201: { description: "Created, with its DNS records.", content: json(DomainDetails) },
        ...problems(400, 401, 403, 409),
      },
    }),
    async (c) => {
      const p = authorize(c, "domain", "write", { orgId: principalOf(c).orgId });
      const domain = await addDomain(store, c.req.valid("json").name);
      if (p.orgId !== (await deps.orgs.orgOfDomain(domain.name))) {
        await assignDomain(store, domain.name, p.orgId);
      }
      const orgId = await deps.orgs.orgOfDomain(domain.name);
      await deps.audit.change(actorOf(c), {
        action: "domain.create",
        orgId,
        target: domain.name,
        after: { orgId },
      });
      c.header("Location", `/api/v1/domains/${domain.name}`);
      return c.json(await details(domain, orgId), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/domains/{name}",
      operationId: "getDomain",
      summary: "One domain with its DKIM public keys and the DNS records to publish.",
      security: BEARER,
      middleware: [auth] as const,
      request: { params: Name },
      responses: { 200: { description: "The domain.", content: json(DomainDetails) }, ...problems(401, 404) },
    }),
    async (c) => {
      const { domain, orgId } = await load(c, c.req.valid("param").name, "read");
      return c.json(await details(domain, orgId), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/domains/{name}/dkim",
      operationId: "createDkimKeys",
      summary: "Create the RSA and Ed25519 DKIM keys the domain lacks (existing keys are kept).",
      security: BEARER,
      middleware: [auth] as const,
      request: { params: Name },
      responses: {
        200: { description: "The domain with its keys.", content: json(DomainDetails) },
        ...problems(401, 403, 404),
      },
    }),
    async (c) => {
      const { domain, orgId } = await load(c, c.req.valid("param").name, "write");
      const { created } = await ensureDkimKeys(
        store,
        domain.name,
        queueSettings(config).dkim_selector,
        clock.now(),
      );
      await deps.audit.change(actorOf(c), {
        action: "domain.dkim",
        orgId,
        target: domain.name,
        after: { created },
      });
      return c.json(await details(domain, orgId), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/domains/{name}",
      operationId: "deleteDomain",
      summary: "Delete a local domain (refused while it has accounts).",
      security: BEARER,
      middleware: [auth] as const,
      request: { params: Name },
      responses: { 204: { description: "Deleted." }, ...problems(401, 403, 404, 409) },
    }),
    async (c) => {
      const { domain, orgId } = await load(c, c.req.valid("param").name, "write");
      await deleteDomain(store, domain.name);
      await deps.audit.change(actorOf(c), { action: "domain.delete", orgId, target: domain.name });
      return c.body(null, 204);
    },
  );
}
