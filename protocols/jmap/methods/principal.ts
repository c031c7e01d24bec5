/**
 * Principal/get (RFC 9670 §2.3): the users the logged-in user may share with (the accounts of
 * their own domain) and those who shared with them. A principal's id is its account id. The list
 * is computed, so the state is a digest of it.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Account } from "../../../core/store/types.ts";
import {
  getIds,
  getProperties,
  type MethodHandler,
  optObject,
  pick,
  requireAccount,
} from "../method_context.ts";
import { MethodError } from "../errors.ts";
import { windowResults } from "../query.ts";
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

/** The principals the user may see (RFC 9670 §2), by id, and a state digest of them. */
async function principalsOf(
  ctx: Parameters<MethodHandler>[1],
): Promise<{ principals: Record<string, unknown>[]; state: string }> {
  const store = ctx.services.server.store;
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
  return { principals, state };
}

/** Principal/get (RFC 9670 §2.3). */
export const principalGet: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  const props = getProperties(args, PROPERTIES) ?? [...PROPERTIES];
  const { principals, state } = await principalsOf(ctx);
  const ids = getIds(args, ctx);
  const byId = new Map(principals.map((p) => [p.id as string, p]));
  const list: Record<string, unknown>[] = [];
  const notFound: string[] = [];
  for (const id of ids ?? principals.map((p) => p.id as string)) {
    const p = byId.get(id);
    if (p) list.push(pick(p, props));
    else notFound.push(id);
  }
  return { accountId, state, list, notFound };
};

/**
 * Principal/changes (RFC 9670 §2.4): the principals are computed, not logged, so only the current
 * state has no changes; any older one is cannotCalculateChanges (RFC 8620 §5.2), and the client
 * fetches them again.
 */
export const principalChanges: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  const sinceState = args.sinceState;
  if (typeof sinceState !== "string") throw new MethodError("invalidArguments", "sinceState is required.");
  const { state } = await principalsOf(ctx);
  if (sinceState !== state) throw new MethodError("cannotCalculateChanges");
  return {
    accountId,
    oldState: state,
    newState: state,
    hasMoreChanges: false,
    created: [],
    updated: [],
    destroyed: [],
  };
};

function includes(value: unknown, text: string): boolean {
  return typeof value === "string" && value.toLowerCase().includes(text.toLowerCase());
}

/** The ids of the principals matching a FilterCondition (RFC 9670 §2.5.1), in the order asked. */
async function principalQueryIds(args: Record<string, unknown>, ctx: Parameters<MethodHandler>[1]) {
  const { principals, state } = await principalsOf(ctx);
  const filter = optObject(args, "filter") ?? {};
  if ("operator" in filter) throw new MethodError("unsupportedFilter", "Filter operators are not supported.");
  const tests: ((p: Record<string, unknown>) => boolean)[] = [];
  for (const [key, value] of Object.entries(filter)) {
    if (key === "accountIds") {
      if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
        throw new MethodError("invalidArguments", '"accountIds" must be an array of ids.');
      }
      tests.push((p) => value.some((id) => id in ((p.accounts as Record<string, unknown> | null) ?? {})));
      continue;
    }
    if (typeof value !== "string") throw new MethodError("invalidArguments", `"${key}" must be a string.`);
    switch (key) {
      case "email":
      case "name":
        tests.push((p) => includes(p[key], value));
        break;
      case "text":
        tests.push((p) =>
          includes(p.name, value) || includes(p.email, value) || includes(p.description, value)
        );
        break;
      case "type":
      case "timeZone":
        tests.push((p) => p[key] === value);
        break;
      default:
        throw new MethodError("unsupportedFilter", `Unknown Principal filter "${key}".`);
    }
  }
  let ids = principals.filter((p) => tests.every((t) => t(p)));
  const sort = args.sort ?? [];
  if (!Array.isArray(sort)) throw new MethodError("invalidArguments", "sort must be an array.");
  for (const c of [...sort].reverse()) {
    const comparator = c as Record<string, unknown> | null;
    const property = comparator?.property;
    if (property !== "name" && property !== "email") {
      throw new MethodError("unsupportedSort", `Cannot sort Principals by "${String(property)}".`);
    }
    const sign = comparator!.isAscending === false ? -1 : 1;
    ids = [...ids].sort((a, b) => sign * String(a[property]).localeCompare(String(b[property])));
  }
  return { ids: ids.map((p) => p.id as string), state };
}

/** Principal/query (RFC 9670 §2.5). */
export const principalQuery: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  const { ids, state } = await principalQueryIds(args, ctx);
  // The results are computed, not logged: queryChanges answers only for the current state.
  return { accountId, queryState: state, canCalculateChanges: false, ...windowResults(ids, args, ctx) };
};

/** Principal/queryChanges (RFC 9670 §2.6): cannotCalculateChanges but for the current state. */
export const principalQueryChanges: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  const since = args.sinceQueryState;
  if (typeof since !== "string") throw new MethodError("invalidArguments", "sinceQueryState is required.");
  const { ids, state } = await principalQueryIds(args, ctx);
  if (since !== state) throw new MethodError("cannotCalculateChanges");
  const out: Record<string, unknown> = {
    accountId,
    oldQueryState: state,
    newQueryState: state,
    removed: [],
    added: [],
  };
  if (args.calculateTotal === true) out.total = ids.length;
  return out;
};
