/**
 * JMAP Quotas (RFC 9425): Quota/get, Quota/changes, Quota/query and Quota/queryChanges over the
 * account's quotas (core/tenancy/quotas.ts: its own storage quota and its organization plan's
 * limits). Quotas are computed, not stored: the state is a digest of the list, and /changes and
 * /queryChanges answer `cannotCalculateChanges` from any other state (RFC 8620 §5.2), so a client
 * fetches them again.
 *
 * @module
 */
import { MethodError } from "../errors.ts";
import {
  getIds,
  getProperties,
  type MethodContext,
  type MethodHandler,
  optObject,
  pick,
  requireAccount,
} from "../method_context.ts";
import { accountQuotas, type QuotaInfo } from "../../../core/tenancy/quotas.ts";
import { tenancyOf } from "../../../core/tenancy/policy.ts";

const PROPERTIES = new Set([
  "id",
  "resourceType",
  "used",
  "hardLimit",
  "scope",
  "name",
  "types",
  "description",
]);

async function quotas(ctx: MethodContext): Promise<{ list: QuotaInfo[]; state: string }> {
  const account = (await ctx.services.server.store.getAccount(ctx.account.id)) ?? ctx.account;
  const list = await accountQuotas(tenancyOf(ctx.services.server), account);
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify(list))),
  );
  return { list, state: Array.from(digest.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join("") };
}

/** Quota/get (RFC 9425 §4.2). */
export const quotaGet: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  const props = getProperties(args, PROPERTIES) ?? [...PROPERTIES];
  const ids = getIds(args, ctx);
  const { list, state } = await quotas(ctx);
  const byId = new Map(list.map((q) => [q.id, q]));
  const wanted = ids ?? list.map((q) => q.id);
  return {
    accountId,
    state,
    list: wanted.filter((id) => byId.has(id)).map((id) => pick({ ...byId.get(id)! }, props)),
    notFound: wanted.filter((id) => !byId.has(id)),
  };
};

/** Quota/changes (RFC 9425 §4.3): nothing changed at the current state; other states cannot be followed. */
export const quotaChanges: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  if (typeof args.sinceState !== "string") {
    throw new MethodError("invalidArguments", "sinceState is required.");
  }
  const { state } = await quotas(ctx);
  if (args.sinceState !== state) throw new MethodError("cannotCalculateChanges");
  return {
    accountId,
    oldState: state,
    newState: state,
    hasMoreChanges: false,
    created: [],
    updated: [],
    destroyed: [],
    updatedProperties: null,
  };
};

function matches(q: QuotaInfo, filter: Record<string, unknown>): boolean {
  for (const [k, v] of Object.entries(filter)) {
    if (k === "name") {
      if (typeof v !== "string" || !q.name.toLowerCase().includes(v.toLowerCase())) return false;
    } else if (k === "scope" || k === "resourceType") {
      if (!Array.isArray(v) || !v.includes(q[k])) return false;
    } else if (k === "type") {
      if (!Array.isArray(v) || !v.some((t) => q.types.includes(t as string))) return false;
    } else throw new MethodError("unsupportedFilter", `Unknown filter "${k}".`);
  }
  return true;
}

/** Quota/query (RFC 9425 §4.4): filters name, scope, resourceType, type; sorts by name or used. */
export const quotaQuery: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  const filter = optObject(args, "filter") ?? {};
  const sort = Array.isArray(args.sort) ? args.sort as { property?: unknown; isAscending?: unknown }[] : [];
  const { list, state } = await quotas(ctx);
  const found = list.filter((q) => matches(q, filter));
  for (const s of [...sort].reverse()) {
    if (s.property !== "name" && s.property !== "used") {
      throw new MethodError("unsupportedSort", `Cannot sort by "${String(s.property)}".`);
    }
    const dir = s.isAscending === false ? -1 : 1;
    found.sort((a, b) =>
      dir * (s.property === "used" ? a.used - b.used : a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
    );
  }
  const position = typeof args.position === "number" && args.position > 0 ? args.position : 0;
  const limit = typeof args.limit === "number" && args.limit >= 0 ? args.limit : found.length;
  return {
    accountId,
    queryState: state,
    canCalculateChanges: false,
    position,
    ids: found.slice(position, position + limit).map((q) => q.id),
    total: found.length,
  };
};

/** Quota/queryChanges (RFC 9425 §4.5): not calculable (see the module note). */
export const quotaQueryChanges: MethodHandler = (args, ctx) => {
  requireAccount(args, ctx);
  return Promise.reject(new MethodError("cannotCalculateChanges"));
};
