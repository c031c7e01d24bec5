/**
 * Audit entries for account settings changed by the account itself through JMAP (identities,
 * vacation response, push subscriptions, Sieve scripts): the actor is the account, the
 * organization its own. Recording never fails the change.
 *
 * @module
 */
import type { ServerContext } from "../context.ts";
import type { Account } from "../store/types.ts";
import { AuditLog } from "./audit_log.ts";

/** Records a settings change made by `account` over JMAP. */
export async function auditSettings(
  server: Pick<ServerContext, "store" | "clock" | "log">,
  account: Pick<Account, "id" | "address">,
  change: { action: string; target: string; after?: Record<string, unknown> | null },
  client: { ip?: string; requestId?: string } = {},
): Promise<void> {
  const orgId = await server.store.organizations.orgOfAccount(account.id).catch(() => null);
  await new AuditLog(server.store.audit, server.clock, server.log).change(
    { actor: account.address, actorOrgId: orgId, ip: client.ip ?? null, requestId: client.requestId ?? null },
    { action: change.action, orgId, target: change.target, after: change.after ?? null },
  );
}
