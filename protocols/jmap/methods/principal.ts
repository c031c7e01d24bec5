/**
 * Principal/get (RFC 9670 §2.3): the users the logged-in user may share with (the accounts of
 * their own domain) and those who shared with them. A principal's id is its account id. The list
 * is computed, so the state is a digest of it.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Account } from "../../../core/store/types.ts";
import { getIds, getProperties, type MethodHandler, pick, requireAccount } from "../method_context.ts";
import { sharedAccounts } from "../mailbox_sharing.ts";

const PROPERTIES = new Set([
  "id",
  "type",
  "name",
  "description",
  "email",
  "timeZone",
  "capabilities",
  "accounts",
]);

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf("@") + 1).toLowerCase();
}

/** Principal/get (RFC 9670 §2.3). */
export const principalGet: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  const store = ctx.services.server.store;
  const props = getProperties(args, PROPERTIES) ?? [...PROPERTIES];
  const shared = await sharedAccounts(store, ctx.account.id);
  const sharedIds = new Set(shared.map((s) => s.owner.id));
  const domain = domainOf(ctx.account.address);
  const visible = new Map<string, Account>();
  for (const a of await store.listAccounts()) {
    if (a.id === ctx.account.id || domainOf(a.address) === domain || sharedIds.has(a.id)) {
      visible.set(a.id, a);
    }
  }
  const principals = [...visible.values()].sort((a, b) => a.id < b.id ? -1 : 1).map((a) => ({
    id: a.id,
    // RFC 9670 §2: every account here is one person.
    type: "individual",
    name: a.displayName || a.address,
    description: null,
    email: a.address,
    timeZone: null,
    capabilities: {},
    // RFC 9670 §2: the accounts the principal owns that the user can access, else null.
    accounts: a.id === ctx.account.id || sharedIds.has(a.id)
      ? { [a.id]: { name: a.address, isPersonal: a.id === ctx.account.id } }
      : null,
  }));
  const state = createHash("sha256").update(JSON.stringify(principals)).digest("base64url").slice(0, 16);
  const ids = getIds(args, ctx);
  const byId = new Map(principals.map((p) => [p.id, p]));
  const list: Record<string, unknown>[] = [];
  const notFound: string[] = [];
  for (const id of ids ?? principals.map((p) => p.id)) {
    const p = byId.get(id);
    if (p) list.push(pick(p, props));
    else notFound.push(id);
  }
  return { accountId, state, list, notFound };
};
