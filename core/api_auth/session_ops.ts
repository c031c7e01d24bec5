/**
 * Session revocation and listing shared by the admin API (`POST /admin/sessions/revoke`) and the
 * CLI (`tern session list|revoke`): one rule for what is revoked, and one security event for it.
 *
 * @module
 */
import type { Store } from "../store/store.ts";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log/logger.ts";
import type { ApiSession, SessionSelector } from "../store/records/api_sessions.ts";
import { type AuditActor, AuditLog } from "../audit/audit_log.ts";

/** The target of a revocation as the audit log names it. */
function targetOf(selector: SessionSelector): string {
  if ("id" in selector) return selector.id;
  if ("accountId" in selector) return selector.accountId;
  if ("orgId" in selector) return selector.orgId;
  return "all";
}

/**
 * Revokes the active login sessions a selector covers (one, an account's, an organization's, or
 * every one) and records the security event; returns how many were active.
 */
export async function revokeSessions(
  deps: { store: Store; clock: Clock; log?: Logger },
  selector: SessionSelector,
  actor: AuditActor,
  opts: { reason?: string; orgId?: string | null; target?: string } = {},
): Promise<number> {
  const revoked = await deps.store.apiSessions.revoke(selector, deps.clock.now(), opts.reason ?? "revoked");
  const orgId = opts.orgId ?? ("orgId" in selector ? selector.orgId : null);
  await new AuditLog(deps.store.audit, deps.clock, deps.log).security(actor, {
    action: "id" in selector ? "session.revoke" : "session.revoke_bulk",
    orgId,
    target: opts.target ?? targetOf(selector),
    after: { revoked },
  });
  return revoked;
}

/** Active login sessions a selector covers, newest first. */
export function activeSessions(
  deps: { store: Store; clock: Clock },
  selector: SessionSelector,
): Promise<ApiSession[]> {
  return deps.store.apiSessions.list(selector, deps.clock.now());
}
