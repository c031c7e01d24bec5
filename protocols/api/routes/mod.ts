/**
 * The admin API's resources, one route module per resource.
 *
 * How to add a route (the pattern every module follows):
 * 1. Create `protocols/api/routes/<resource>.ts` exporting
 *    `export function register(app: ApiApp, deps: ApiDeps, auth: MiddlewareHandler<ApiEnv>): void`.
 * 2. In it, declare each operation with `createRoute` from `@hono/zod-openapi` (path relative to
 *    `/api/v1`, `{param}` syntax; request schemas; every response status it can answer, errors
 *    through `problems(...)` of ../schemas.ts) and register it with `app.openapi(route, handler)`.
 *    A route that needs a caller lists `middleware: [auth]` and `security: BEARER`; a public one
 *    `security: PUBLIC`. The OpenAPI document is generated from these declarations (app.ts adds
 *    the auth middleware's 403/429 to secured operations). tests/api/_openapi_cases.ts checks that
 *    every route is documented, that every status a test got is documented, and that every
 *    documented status was produced by a request through `ApiTestServer.call` in a case module
 *    tests/api/api_test.ts imports: add your wire tests as `tests/api/_<resource>_cases.ts` there.
 * 3. In the handler, authorize through THE matrix: `authorize(c, "resource", "read" | "write",
 *    { orgId, accountId })` (../env.ts) before touching anything; it throws 404 for targets outside
 *    the caller's reach and 403 for what it may see but not change. Listings filter by
 *    `listScope(principalOf(c))` (core/authz/matrix.ts). Call the core operation shared with the CLI
 *    (never a second copy of its rules), record changes with `deps.audit.change(actorOf(c), …)`,
 *    paginate with ../pagination.ts, tag with `etagOf` and check `If-Match` with `checkIfMatch`
 *    (../etag.ts), and throw `ApiProblem` (../problem.ts) for errors.
 * 4. Import the module below and add it to `ROUTES`.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { ApiApp, ApiDeps, ApiEnv } from "../env.ts";
import * as auth from "./auth.ts";
import * as accounts from "./accounts.ts";
import * as domains from "./domains.ts";
import * as aliases from "./aliases.ts";
import * as tokens from "./tokens.ts";
import * as audit from "./audit.ts";
import * as organizations from "./organizations.ts";
import * as queue from "./queue.ts";
import * as health from "./health.ts";
import * as messages from "./messages.ts";
import * as stats from "./stats.ts";
import * as webhooks from "./webhooks.ts";
import * as dmarc from "./dmarc.ts";
import * as vacation from "./vacation.ts";
import * as password from "./password.ts";
import * as sieve from "./sieve.ts";
import * as dnsCheck from "./dns_check.ts";

/** A route module: registers its resource's operations. */
export interface RouteModule {
  register(app: ApiApp, deps: ApiDeps, auth: MiddlewareHandler<ApiEnv>): void;
}

/** Every route module, in the order they are registered. */
export const ROUTES: readonly RouteModule[] = [
  auth,
  accounts,
  domains,
  aliases,
  tokens,
  audit,
  organizations,
  queue,
  health,
  messages,
  stats,
  webhooks,
  dmarc,
  vacation,
  password,
  sieve,
  dnsCheck,
];

/** Registers every route module on the API app. */
export function registerRoutes(app: ApiApp, deps: ApiDeps, auth: MiddlewareHandler<ApiEnv>): void {
  for (const m of ROUTES) m.register(app, deps, auth);
}
