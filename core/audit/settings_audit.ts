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

/**
 * Records every object a JMAP /set created, updated or destroyed (`kind` names the type, e.g.
 * "sieve" gives `jmap.sieve.create`), with the created objects' `name` when they have one.
 */
export async function auditSetResult(
  server: Pick<ServerContext, "store" | "clock" | "log">,
  account: Pick<Account, "id" | "address">,
  kind: string,
  result: {
    created: Record<string, Record<string, unknown>> | null;
    updated: Record<string, unknown> | null;
    destroyed: string[] | null;
  },
  client: { ip?: string; requestId?: string } = {},
): Promise<void> {
  for (const obj of Object.values(result.created ?? {})) {
    const after = typeof obj.name === "string" ? { name: obj.name } : null;
    await auditSettings(
      server,
      account,
      { action: `jmap.${kind}.create`, target: String(obj.id), after },
      client,
    );
  }
  for (const id of Object.keys(result.updated ?? {})) {
    await auditSettings(server, account, { action: `jmap.${kind}.update`, target: id }, client);
  }
  for (const id of result.destroyed ?? []) {
    await auditSettings(server, account, { action: `jmap.${kind}.destroy`, target: id }, client);
  }
}
