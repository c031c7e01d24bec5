/**
 * The admin API's Hono environment (bindings and per-request variables), the services every route
 * gets (`ApiDeps`), and the helpers route handlers use: the caller, authorization through the one
 * matrix (core/authz), and the audit actor.
 *
 * @module
 */
import type { Context } from "hono";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { ServerContext } from "../../core/context.ts";
import type { Logger } from "../../core/log/logger.ts";
import type { Account } from "../../core/store/types.ts";
import type { HttpBindings } from "../../core/net/http_bindings.ts";
import type { Principal } from "../../core/authz/principal.ts";
import { type Action, decide, type Resource, type Target } from "../../core/authz/matrix.ts";
import type { OrgResolver } from "../../core/authz/roles.ts";
import type { AuditActor, AuditLog } from "../../core/audit/audit_log.ts";
import type { ApiSessions } from "../../core/api_auth/sessions.ts";
import type { ApiAuthenticator } from "../../core/api_auth/authenticate.ts";
import { ApiProblem } from "./problem.ts";

/**
 * The HTTP listener's runtime bindings (the same the JMAP app gets; absent under `app.request` in
 * tests), with the facts of a verified TLS client certificate.
 */
export type ApiBindings = Partial<HttpBindings> & {
  /** RFC 4514 subject of a client certificate verified against `jmap.client_ca` (mTLS front ends). */
  clientCertSubject?: string;
  /** Why a presented client certificate did not verify. */
  clientCertError?: string;
  /**
   * Set by the web UI (protocols/web) on its in-process calls: the request is a person using the
   * product's own pages, not a program using the API, so the plan's API access and call allowance do
   * not apply. Only code in this process can set bindings; a browser or API client cannot.
   */
  webUi?: true;
};

/** Hono environment of the admin API. */
export interface ApiEnv {
  Bindings: ApiBindings;
  Variables: {
    /** `X-Request-Id` of this request (the client's when well-formed, else generated). */
    requestId: string;
    /** Set by the auth middleware on routes that need a caller. */
    principal: Principal;
    /** The caller's account. */
    account: Account;
    log: Logger;
    sessionId: string;
  };
}

/** The OpenAPI-aware Hono app routes register on. */
export type ApiApp = OpenAPIHono<ApiEnv>;

/** A request context of the admin API. */
export type ApiContext = Context<ApiEnv>;

/** Services shared by every route module. */
export interface ApiDeps {
  server: ServerContext;
  sessions: ApiSessions;
  authenticator: ApiAuthenticator;
  audit: AuditLog;
  orgs: OrgResolver;
}

/** The caller (set by the auth middleware; a route without it is a bug, answered 401). */
export function principalOf(c: ApiContext): Principal {
  const p = c.get("principal");
  if (!p) throw new ApiProblem(401, "Authentication required.");
  return p;
}

/**
 * Applies the authorization matrix: returns the principal when allowed, throws a 404 problem for
 * a target outside the caller's reach (existence is not leaked) and a 403 for one it may see but
 * not act on.
 */
export function authorize(c: ApiContext, resource: Resource, action: Action, target: Target = {}): Principal {
  const p = principalOf(c);
  const d = decide(p, resource, action, target);
  if (d === "notFound") throw new ApiProblem(404, `No such ${resource.replace("_", " ")}.`);
  if (d === "forbidden") {
    throw new ApiProblem(403, `Not allowed to ${action} this ${resource.replace("_", " ")}.`);
  }
  return p;
}

/** The client's IP address (from the listener; 127.0.0.1 under `app.request` in tests). */
export function clientIp(c: ApiContext): string {
  return c.env?.session?.remoteAddress ?? "127.0.0.1";
}

/** The audit actor of this request. */
export function actorOf(c: ApiContext): AuditActor {
  const p = c.get("principal");
  return {
    actor: p ? (p.service ? `${p.address} via ${p.service}` : p.address) : "anonymous",
    actorOrgId: p?.orgId ?? null,
    ip: clientIp(c),
    requestId: c.get("requestId") ?? null,
  };
}
