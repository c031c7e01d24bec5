/**
 * Audit entries for changes made with the `tern` command (actor `cli`): the organization of the
 * target is found from its domain, and recording never fails the command.
 *
 * @module
 */
import type { Store } from "../store/store.ts";
import { systemClock } from "../clock.ts";
import { AuditLog, CLI_ACTOR } from "./audit_log.ts";

/**
 * Records a change made by the CLI and returns `result` (for chaining after the operation).
 *
 * @param store the store the change was made in
 * @param action what happened (`account.create`, …)
 * @param target an address or a domain (its organization is looked up)
 * @param after summary after the change (never secrets)
 */
export async function auditCli<T>(
  store: Store,
  action: string,
  result: T,
  target: string,
  after: Record<string, unknown> | null = null,
): Promise<T> {
  const domain = target.slice(target.lastIndexOf("@") + 1).toLowerCase();
  const orgId = await store.organizations.orgOfDomain(domain).catch(() => null);
  const kind = action.startsWith("token.") ? "security" : "change";
  await new AuditLog(store.audit, systemClock)[kind](CLI_ACTOR, { action, orgId, target, after });
  return result;
}
