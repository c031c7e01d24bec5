/**
 * Tern as a library: create a mail server (SMTP, submission, IMAP, POP3, JMAP) from a
 * configuration and embed it in your own program, with hooks that see every connection.
 *
 * @example Filtering connections in `onConnect`
 * ```ts ignore
 * import { createServer, loadConfig, type Session } from "./mod.ts";
 *
 * const config = await loadConfig("tern.toml");
 * const blocked = new Set(["192.0.2.66"]);
 * const open = new Map<string, number>(); // sessions per client IP
 *
 * const srv = await createServer(config, {
 *   // Runs before the greeting of every connection (and every HTTP request). Throwing, or taking
 *   // longer than `timeoutMs`, rejects the connection with a generic message.
 *   onConnect(session: Session) {
 *     if (blocked.has(session.remoteAddress)) return { allow: false, reason: "Access denied" };
 *     const n = open.get(session.remoteAddress) ?? 0;
 *     if (n >= 5) return { allow: false, reason: "Too many connections from your address" };
 *     open.set(session.remoteAddress, n + 1);
 *     return { allow: true };
 *   },
 *   // Runs exactly once for every session onConnect saw, however it ended.
 *   onClose(session: Session) {
 *     const n = open.get(session.remoteAddress) ?? 0;
 *     if (n > 0) open.set(session.remoteAddress, n - 1);
 *   },
 *   timeoutMs: 2_000,
 * });
 * await srv.start();
 * console.log(srv.addresses.smtp); // { hostname: "127.0.0.1", port: 2525 }
 * // A refused SMTP client reads "554 5.7.1 Access denied", IMAP "* BYE …", POP3 "-ERR …",
 * // HTTP gets 403.
 * await srv.stop(); // graceful: sessions get `shutdown_grace` seconds, then a goodbye
 * ```
 *
 * @module
 */

export { createServer, installSignalHandlers } from "./protocols/server.ts";
export type { CreateServerOptions, ListenerAddress, TernServer } from "./protocols/server.ts";
export { composeHooks, GENERIC_REJECT_REASON } from "./core/net/hooks.ts";
export type { ConnectDecision, RejectFn, ServerHooks } from "./core/net/hooks.ts";
export type { HttpBindings } from "./core/net/http_bindings.ts";
export { loadConfig } from "./core/config/load.ts";
export { testConfig } from "./core/config/test_config.ts";
export type { DeepPartial } from "./core/config/test_config.ts";
export type { Config, ListenerConfig, ListenerName, TlsMode } from "./core/config/types.ts";
export type { Protocol, Session } from "./core/session.ts";
export type { Clock, ConnectionContext, ConnectionHandler, ServerContext } from "./core/context.ts";
export type { Store } from "./core/store/store.ts";
export type { AuthService } from "./core/auth/types.ts";
export type { LogFields, Logger } from "./core/log/logger.ts";
export { nullLogger } from "./core/log/logger.ts";
export { createJsonLogger } from "./core/log/json_logger.ts";
export type { JsonLoggerOptions, JsonLogHandle, LogLevelName } from "./core/log/json_logger.ts";
export type { TlsInfo, Transport } from "./core/net/transport.ts";
export { ConnectionPolicy, PolicyReason } from "./core/policy/connection_policy.ts";
export { createMemoryRateLimiter } from "./core/policy/rate_limiter.ts";
export type { RateLimiter, RateLimitResult } from "./core/policy/rate_limiter.ts";
export type { Ban, BanStore } from "./core/policy/ban_store.ts";
// Organizations, plans and usage (issue 16): the operations `tern org|plan|usage` use.
export {
  addOrganization,
  addPlan,
  assignDomain,
  checkDirectoryLimit,
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
} from "./core/tenancy/operations.ts";
export type { OrganizationDetails, OrganizationSummary, UsageRow } from "./core/tenancy/operations.ts";
export { TenancyError } from "./core/tenancy/errors.ts";
export { featureEnabled } from "./core/tenancy/features.ts";
export type { Feature, FeatureSubject } from "./core/tenancy/features.ts";
export { LIMIT_REFUSALS, tenancyOf, TenancyPolicy } from "./core/tenancy/policy.ts";
export type { LimitRefusal } from "./core/tenancy/policy.ts";
export { runRetention, startRetention } from "./core/tenancy/retention.ts";
export { DEFAULT_ORGANIZATION } from "./core/store/records/organizations.ts";
export type { Organization, OrgResources, OrgRole } from "./core/store/records/organizations.ts";
export type { Plan, PlanFeatures, PlanLimits, PlanPatch } from "./core/store/records/plans.ts";
export type { UsageCounts } from "./core/store/records/usage.ts";
