/**
 * ShareNotification/get, /changes, /query, /queryChanges and /set (RFC 9670 §5): the notifications
 * of the user's rights on other accounts' mailboxes being granted, changed or revoked (recorded by
 * core/acl/share_notices.ts). They live in the user's own account; /set may only destroy them.
 *
 * @module
 */
import type { ShareNotification } from "../../../core/store/records/share_notifications.ts";
import { MethodError, SetErrorException } from "../errors.ts";
import {
  getIds,
  getProperties,
  type MethodHandler,
  optObject,
  optUInt,
  pick,
  requireAccount,
} from "../method_context.ts";
import { queryChangesFromLog, windowResults } from "../query.ts";
import { runSet, setResponse } from "../set.ts";
import { shareRights } from "../mailbox_sharing.ts";

const PROPERTIES = new Set([
  "id",
  "created",
  "changedBy",
  "objectType",
  "objectAccountId",
  "objectId",
  "oldRights",
  "newRights",
  "name",
]);

/** The JMAP object (RFC 9670 §5.1); rights are the Mailbox shareWith rights, null for none. */
function toJmap(n: ShareNotification): Record<string, unknown> {
  return {
    id: n.id,
    created: n.created.toISOString().replace(/\.\d{3}Z$/, "Z"),
    changedBy: { ...n.changedBy },
    objectType: n.objectType,
    objectAccountId: n.objectAccountId,
    objectId: n.objectId,
    oldRights: n.oldRights === "" ? null : shareRights(n.oldRights),
    newRights: n.newRights === "" ? null : shareRights(n.newRights),
    name: n.name,
  };
}

/** ShareNotification/get (RFC 9670 §5.2 with RFC 8620 §5.1). */
export const shareNotificationGet: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  const store = ctx.services.server.store.shareNotifications;
  const props = getProperties(args, PROPERTIES) ?? [...PROPERTIES];
  const state = await store.state(accountId);
  const all = await store.list(accountId);
  const byId = new Map(all.map((n) => [n.id, n]));
  const ids = getIds(args, ctx) ?? all.slice(0, ctx.services.limits.maxObjectsInGet).map((n) => n.id);
  const list: Record<string, unknown>[] = [];
  const notFound: string[] = [];
  for (const id of new Set(ids)) {
    const n = byId.get(id);
    if (n) list.push(pick(toJmap(n), props));
    else notFound.push(id);
  }
  return { accountId, state, list, notFound };
};

/** ShareNotification/changes (RFC 9670 §5.3 with RFC 8620 §5.2): never updated, only created or destroyed. */
export const shareNotificationChanges: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  const sinceState = args.sinceState;
  if (typeof sinceState !== "string") throw new MethodError("invalidArguments", "sinceState is required.");
  const maxChanges = optUInt(args, "maxChanges");
  if (maxChanges === 0) throw new MethodError("invalidArguments", "maxChanges must be positive.");
  const c = await ctx.services.server.store.shareNotifications.changes(accountId, sinceState);
  if (maxChanges !== null && c.created.length + c.destroyed.length > maxChanges) {
    // One state per change is not kept; the client starts over (RFC 8620 §5.2).
    throw new MethodError("cannotCalculateChanges", "More changes than maxChanges.");
  }
  return {
    accountId,
    oldState: sinceState,
    newState: c.newState,
    hasMoreChanges: false,
    created: c.created,
    updated: [],
    destroyed: c.destroyed,
  };
};

function utcDate(value: unknown, name: string): number {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(value)) {
    throw new MethodError("invalidArguments", `"${name}" must be a UTCDate.`);
  }
  return Date.parse(value);
}

/** The ids matching the filter and sort (RFC 9670 §5.5: after, before, objectType, objectAccountId; sort by created). */
async function queryIds(args: Record<string, unknown>, accountId: string, store: {
  list(accountId: string): Promise<ShareNotification[]>;
}): Promise<string[]> {
  const filter = optObject(args, "filter") ?? {};
  if ("operator" in filter) throw new MethodError("unsupportedFilter", "Filter operators are not supported.");
  const tests: ((n: ShareNotification) => boolean)[] = [];
  for (const [key, value] of Object.entries(filter)) {
    switch (key) {
      case "after": {
        const t = utcDate(value, key);
        tests.push((n) => n.created.getTime() >= t);
        break;
      }
      case "before": {
        const t = utcDate(value, key);
        tests.push((n) => n.created.getTime() < t);
        break;
      }
      case "objectType":
      case "objectAccountId":
        if (typeof value !== "string") {
          throw new MethodError("invalidArguments", `"${key}" must be a string.`);
        }
        tests.push((n) => n[key] === value);
        break;
      default:
        throw new MethodError("unsupportedFilter", `Unknown ShareNotification filter "${key}".`);
    }
  }
  const sort = args.sort ?? [];
  if (!Array.isArray(sort)) throw new MethodError("invalidArguments", "sort must be an array.");
  let descending = false;
  for (const c of sort) {
    const comparator = c as Record<string, unknown> | null;
    if (comparator?.property !== "created") {
      throw new MethodError(
        "unsupportedSort",
        `Cannot sort ShareNotifications by "${String(comparator?.property)}".`,
      );
    }
    descending = comparator.isAscending === false;
  }
  const ids = (await store.list(accountId)).filter((n) => tests.every((t) => t(n))).map((n) => n.id);
  return descending ? ids.reverse() : ids;
}

/** ShareNotification/query (RFC 9670 §5.5). */
export const shareNotificationQuery: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  const store = ctx.services.server.store.shareNotifications;
  const queryState = await store.state(accountId);
  const ids = await queryIds(args, accountId, store);
  return { accountId, queryState, canCalculateChanges: true, ...windowResults(ids, args, ctx) };
};

/** ShareNotification/queryChanges (RFC 9670 §5.6). */
export const shareNotificationQueryChanges: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  const since = args.sinceQueryState;
  if (typeof since !== "string") throw new MethodError("invalidArguments", "sinceQueryState is required.");
  const store = ctx.services.server.store.shareNotifications;
  const c = await store.changes(accountId, since);
  const ids = await queryIds(args, accountId, store);
  return {
    accountId,
    oldQueryState: since,
    newQueryState: c.newState,
    ...queryChangesFromLog(ids, {
      created: c.created,
      updated: [],
      destroyed: c.destroyed,
      newState: c.newState,
    }, args),
  };
};

/** ShareNotification/set (RFC 9670 §5.4): destroy only; create and update are forbidden. */
export const shareNotificationSet: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  const store = ctx.services.server.store.shareNotifications;
  const result = await runSet(args, ctx, {
    state: () => store.state(accountId),
    async destroy(id) {
      if ((await store.destroy(accountId, [id])).length === 0) throw new SetErrorException("notFound");
    },
  });
  return setResponse(accountId, result);
};
