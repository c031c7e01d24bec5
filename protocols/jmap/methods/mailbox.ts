/**
 * Mailbox/get, /changes, /query, /queryChanges, /set (RFC 8621 §2).
 *
 * @module
 */
import type { Mailbox, MailboxRole } from "../../../core/store/types.ts";
import { StoreError } from "../../../core/store/types.ts";
import { invalidProperties, MethodError, SetErrorException } from "../errors.ts";
import {
  getIds,
  getProperties,
  type MethodContext,
  type MethodHandler,
  optBool,
  optObject,
  pick,
  resolveCreationId,
} from "../method_context.ts";
import { standardChanges } from "../changes.ts";
import { mailboxesMayHaveSeen, visibleChanges } from "../shared_view.ts";
import type { GrantChange } from "../../../core/acl/share_notices.ts";
import { queryChangesFromLog, windowResults } from "../query.ts";
import { runSet, setResponse } from "../set.ts";
import { MAX_SIZE_MAILBOX_NAME } from "../capabilities.ts";
import { ALL_RIGHTS } from "../../../core/acl/rights.ts";
import {
  type AccountAccess,
  accountAccess,
  applyShareWith,
  mailboxRights,
  rightsIn,
  setSharedSubscription,
  shareWithOf,
  splitShareWith,
  subscribedShared,
} from "../mailbox_sharing.ts";

const PROPERTIES = new Set([
  "id",
  "name",
  "parentId",
  "role",
  "sortOrder",
  "totalEmails",
  "unreadEmails",
  "totalThreads",
  "unreadThreads",
  "myRights",
  "isSubscribed",
  // RFC 9670 §4.2.
  "shareWith",
]);

const ROLES: ReadonlySet<string> = new Set(["inbox", "drafts", "sent", "junk", "trash", "archive"]);

/** Rights of the owner on their own mailboxes (RFC 8621 §2 MailboxRights). */
const OWNER_RIGHTS = {
  mayReadItems: true,
  mayAddItems: true,
  mayRemoveItems: true,
  maySetSeen: true,
  maySetKeywords: true,
  mayCreateChild: true,
  mayRename: true,
  mayDelete: true,
  maySubmit: true,
};

const COUNT_PROPS = ["totalEmails", "unreadEmails", "totalThreads", "unreadThreads"];

async function toJmap(
  m: Mailbox,
  ctx: MethodContext,
  withCounts: boolean,
  access: AccountAccess | null = null,
  withShares = false,
): Promise<Record<string, unknown>> {
  // RFC 8621 §2 / RFC 9670 §4: rights from the RFC 4314 grants (core/acl); a shared account shows
  // no parent the user cannot see.
  const rights = access ? rightsIn(access, m.id) : ALL_RIGHTS;
  const parentVisible = m.parentId !== null && (!access?.rights || access.rights.has(m.parentId));
  const obj: Record<string, unknown> = {
    id: m.id,
    name: m.name,
    parentId: parentVisible ? m.parentId : null,
    role: access?.personal === false ? null : m.role,
    sortOrder: m.sortOrder,
    myRights: access?.personal === false ? mailboxRights(rights) : OWNER_RIGHTS,
    // RFC 9670 §4: on a shared account isSubscribed is the user's own subscription.
    isSubscribed: access?.personal === false ? access.subscribed?.has(m.id) ?? false : m.subscribed,
  };
  if (withShares) {
    obj.shareWith = rights.includes("a")
      ? await shareWithOf(ctx.services.server.store, m.accountId, m.id)
      : null;
  }
  if (withCounts) {
    const c = await ctx.services.server.store.mailboxCounts(m.accountId, m.id);
    obj.totalEmails = c.total;
    obj.unreadEmails = c.unread;
    obj.totalThreads = c.totalThreads;
    obj.unreadThreads = c.unreadThreads;
  }
  return obj;
}

/** Mailbox/get (RFC 8621 §2.1). */
export const mailboxGet: MethodHandler = async (args, ctx) => {
  // RFC 9670: a shared account shows the mailboxes the user may look up ("l"), nothing else.
  const access = await accountAccess(args, ctx);
  const accountId = access.accountId;
  const ids = getIds(args, ctx);
  const props = getProperties(args, PROPERTIES) ?? [...PROPERTIES];
  const store = ctx.services.server.store;
  const state = await store.state(accountId, "Mailbox");
  const all = (await store.listMailboxes(accountId)).filter((m) => !access.rights || access.rights.has(m.id));
  const byId = new Map(all.map((m) => [m.id, m]));
  const withCounts = props.some((p) => COUNT_PROPS.includes(p));
  if (!access.personal) access.subscribed = await subscribedShared(store, ctx.account.id, access);
  const list: Record<string, unknown>[] = [];
  const notFound: string[] = [];
  for (const id of ids ?? all.map((m) => m.id)) {
    const m = byId.get(id);
    if (!m) notFound.push(id);
    else list.push(pick(await toJmap(m, ctx, withCounts, access, props.includes("shareWith")), props));
  }
  return { accountId, state, list, notFound };
};

/** Mailbox/changes (RFC 8621 §2.2). */
export const mailboxChanges: MethodHandler = async (args, ctx) => ({
  ...(await standardChanges(args, ctx, "Mailbox")),
  updatedProperties: null,
});

function fullNameSort(all: Mailbox[]): Map<string, number> {
  // Depth-first order with siblings by sortOrder then name (RFC 8621 §2.3 sortAsTree).
  const children = new Map<string | null, Mailbox[]>();
  for (const m of all) {
    const key = m.parentId && all.some((p) => p.id === m.parentId) ? m.parentId : null;
    let list = children.get(key);
    if (!list) children.set(key, list = []);
    list.push(m);
  }
  const order = new Map<string, number>();
  const visit = (parent: string | null) => {
    const list = (children.get(parent) ?? []).sort((a, b) =>
      a.sortOrder - b.sortOrder || a.name.localeCompare(b.name)
    );
    for (const m of list) {
      order.set(m.id, order.size);
      visit(m.id);
    }
  };
  visit(null);
  return order;
}

async function mailboxQueryIds(args: Record<string, unknown>, ctx: MethodContext, access: AccountAccess) {
  const store = ctx.services.server.store;
  // RFC 9670: a shared account holds the mailboxes the user may look up ("l"), subscribed or not
  // by the user (RFC 9670 §4 isSubscribed).
  const rights = access.rights;
  const all = (await store.listMailboxes(access.accountId)).filter((m) => !rights || rights.has(m.id));
  const subscribed = rights ? await subscribedShared(store, ctx.account.id, access) : null;
  const filter = optObject(args, "filter");
  const matches = (m: Mailbox, f: Record<string, unknown>): boolean => {
    if ("operator" in f) {
      const conds = f.conditions;
      if (!Array.isArray(conds)) throw new MethodError("unsupportedFilter", "conditions must be an array.");
      const results = conds.map((c) => matches(m, c as Record<string, unknown>));
      switch (f.operator) {
        case "AND":
          return results.every(Boolean);
        case "OR":
          return results.some(Boolean);
        case "NOT":
          return !results.some(Boolean);
        default:
          throw new MethodError("unsupportedFilter", `Unknown operator "${String(f.operator)}".`);
      }
    }
    for (const [key, value] of Object.entries(f)) {
      switch (key) {
        case "parentId":
          if (m.parentId !== value) return false;
          break;
        case "name":
          if (typeof value !== "string" || !m.name.toLowerCase().includes(value.toLowerCase())) return false;
          break;
        case "role":
          if (m.role !== value) return false;
          break;
        case "hasAnyRole":
          if ((m.role !== null) !== value) return false;
          break;
        case "isSubscribed":
          if ((subscribed ? subscribed.has(m.id) : m.subscribed) !== value) return false;
          break;
        default:
          throw new MethodError("unsupportedFilter", `Unknown Mailbox filter "${key}".`);
      }
    }
    return true;
  };
  let list = filter ? all.filter((m) => matches(m, filter)) : [...all];
  const sort = args.sort;
  const sortAsTree = optBool(args, "sortAsTree", false);
  if (sort !== undefined && sort !== null && !Array.isArray(sort)) {
    throw new MethodError("invalidArguments", "sort must be an array.");
  }
  const comparators = ((sort as Record<string, unknown>[] | null | undefined) ?? []).map((s) => {
    const asc = s.isAscending !== false;
    const sign = asc ? 1 : -1;
    switch (s.property) {
      case "sortOrder":
        return (a: Mailbox, b: Mailbox) => sign * (a.sortOrder - b.sortOrder);
      case "name":
        return (a: Mailbox, b: Mailbox) => sign * a.name.localeCompare(b.name);
      default:
        throw new MethodError("unsupportedSort", `Cannot sort Mailboxes by "${String(s.property)}".`);
    }
  });
  if (sortAsTree) {
    const order = fullNameSort(all);
    list.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  } else {
    list.sort((a, b) => {
      for (const c of comparators) {
        const r = c(a, b);
        if (r !== 0) return r;
      }
      return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    });
  }
  if (optBool(args, "filterAsTree", false) && filter) {
    const kept = new Set(list.map((m) => m.id));
    const byId = new Map(all.map((m) => [m.id, m]));
    list = list.filter((m) => {
      for (let p = m.parentId; p !== null; p = byId.get(p)?.parentId ?? null) if (!kept.has(p)) return false;
      return true;
    });
  }
  return list.map((m) => m.id);
}

/** Mailbox/query (RFC 8621 §2.3). */
export const mailboxQuery: MethodHandler = async (args, ctx) => {
  const access = await accountAccess(args, ctx);
  const accountId = access.accountId;
  const ids = await mailboxQueryIds(args, ctx, access);
  const queryState = await ctx.services.server.store.state(accountId, "Mailbox");
  return { accountId, queryState, canCalculateChanges: true, ...windowResults(ids, args, ctx) };
};

/** Mailbox/queryChanges (RFC 8621 §2.4). */
export const mailboxQueryChanges: MethodHandler = async (args, ctx) => {
  const access = await accountAccess(args, ctx);
  const accountId = access.accountId;
  const since = args.sinceQueryState;
  if (typeof since !== "string") throw new MethodError("invalidArguments", "sinceQueryState is required.");
  const store = ctx.services.server.store;
  const changes = await visibleChanges(
    store,
    access,
    "Mailbox",
    await store.changes(accountId, "Mailbox", since),
    await mailboxesMayHaveSeen(store, ctx.account.id, access),
  );
  const ids = await mailboxQueryIds(args, ctx, access);
  return {
    accountId,
    oldQueryState: since,
    newQueryState: changes.newState,
    ...queryChangesFromLog(ids, changes, args),
  };
};

function setErrorOfStore(error: unknown): never {
  if (error instanceof StoreError) {
    switch (error.code) {
      case "notFound":
        throw new SetErrorException("notFound", error.message);
      case "alreadyExists":
        throw invalidProperties(["name"], error.message);
      case "hasChildren":
        throw new SetErrorException("mailboxHasChild", error.message);
      case "conflict":
        throw new SetErrorException("mailboxHasEmail", error.message);
      case "invalid":
        throw new SetErrorException("invalidProperties", error.message);
      case "forbidden":
        throw new SetErrorException("forbidden", error.message);
      case "overQuota":
        throw new SetErrorException("overQuota", error.message);
    }
  }
  throw error;
}

interface MailboxPatch {
  name?: string;
  parentId?: string | null;
  role?: MailboxRole | null;
  subscribed?: boolean;
  sortOrder?: number;
}

function parseMailboxProps(
  obj: Record<string, unknown>,
  ctx: MethodContext,
  creating: boolean,
): MailboxPatch {
  const out: MailboxPatch = {};
  for (const [key, value] of Object.entries(obj)) {
    switch (key) {
      case "name":
        if (
          typeof value !== "string" || value === "" ||
          new TextEncoder().encode(value).length > MAX_SIZE_MAILBOX_NAME
        ) {
          throw invalidProperties(["name"], "name must be a non-empty string of at most 255 octets.");
        }
        out.name = value;
        break;
      case "parentId":
        if (value === null) out.parentId = null;
        else if (typeof value === "string") {
          const id = resolveCreationId(value, ctx);
          if (id === null) throw invalidProperties(["parentId"], `Unknown creation id "${value}".`);
          out.parentId = id;
        } else throw invalidProperties(["parentId"]);
        break;
      case "role":
        if (value !== null && (typeof value !== "string" || !ROLES.has(value))) {
          throw invalidProperties(["role"], "Unknown or unsupported role.");
        }
        out.role = value as MailboxRole | null;
        break;
      case "sortOrder":
        if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
          throw invalidProperties(["sortOrder"]);
        }
        out.sortOrder = value;
        break;
      case "isSubscribed":
        if (typeof value !== "boolean") throw invalidProperties(["isSubscribed"]);
        out.subscribed = value;
        break;
      case "id":
      case "myRights":
      case "totalEmails":
      case "unreadEmails":
      case "totalThreads":
      case "unreadThreads":
        // Server-set properties (RFC 8620 §5.3): on create only the value the server sets itself
        // (no emails, the owner's rights) is allowed; on update they are ignored.
        if (creating && !isCreateDefault(key, value)) {
          throw invalidProperties([key], `"${key}" is server-set.`);
        }
        break;
      default:
        throw invalidProperties([key], `Unknown property "${key}".`);
    }
  }
  return out;
}

/** Whether a server-set property given on create has the value the server would set. */
function isCreateDefault(key: string, value: unknown): boolean {
  if (key === "id") return false;
  if (key === "myRights") {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
    const v = value as Record<string, unknown>;
    const rights = OWNER_RIGHTS as Record<string, unknown>;
    return Object.keys(v).length === Object.keys(rights).length &&
      Object.entries(rights).every(([k, r]) => v[k] === r);
  }
  return value === 0;
}

/** Who changes a grant through Mailbox/set shareWith, for the share notification (RFC 9670 §5). */
function grantChange(ctx: MethodContext): GrantChange {
  return { changedBy: ctx.account.id, now: ctx.services.server.clock.now() };
}

/** Mailbox/set (RFC 8621 §2.5). */
export const mailboxSet: MethodHandler = async (args, ctx) => {
  // RFC 9670 §4: on a shared account the user may only change their own isSubscribed.
  const access = await accountAccess(args, ctx);
  if (!access.personal) return await sharedMailboxSet(args, ctx, access);
  const accountId = access.accountId;
  const store = ctx.services.server.store;
  const removeEmails = optBool(args, "onDestroyRemoveEmails", false);
  const result = await runSet(args, ctx, {
    state: () => store.state(accountId, "Mailbox"),
    async create(_cid, whole) {
      // RFC 9670 §4.2: shareWith is set once the mailbox exists.
      const { rest: obj, share } = splitShareWith(whole);
      const p = parseMailboxProps(obj, ctx, true);
      if (p.name === undefined) throw invalidProperties(["name"], "name is required.");
      if (p.role && await store.getMailboxByRole(accountId, p.role)) {
        throw invalidProperties(["role"], `A mailbox with role "${p.role}" exists already.`);
      }
      try {
        const m = await store.createMailbox(accountId, {
          name: p.name,
          parentId: p.parentId ?? null,
          role: p.role ?? null,
          subscribed: p.subscribed ?? false,
          sortOrder: p.sortOrder ?? 0,
        });
        if (share) await applyShareWith(store, accountId, m.id, share, grantChange(ctx));
        return {
          id: m.id,
          myRights: OWNER_RIGHTS,
          totalEmails: 0,
          unreadEmails: 0,
          totalThreads: 0,
          unreadThreads: 0,
          isSubscribed: m.subscribed,
          sortOrder: m.sortOrder,
        };
      } catch (error) {
        if (error instanceof StoreError && error.code === "alreadyExists") {
          // RFC 8620 §5.3 alreadyExists: the SetError names the existing record.
          const parentId = p.parentId ?? null;
          const sameName = (name: string) =>
            name === p.name ||
            (parentId === null && name.toLowerCase() === "inbox" && p.name!.toLowerCase() === "inbox");
          const existing = (await store.listMailboxes(accountId)).find((m) =>
            (m.parentId ?? null) === parentId && sameName(m.name)
          );
          if (existing) {
            throw new SetErrorException("alreadyExists", error.message, { existingId: existing.id });
          }
        }
        setErrorOfStore(error);
      }
    },
    async update(id, whole) {
      const current = await store.getMailbox(accountId, id);
      if (!current) throw new SetErrorException("notFound");
      const { rest: patch, share } = splitShareWith(whole);
      const p = parseMailboxProps(patch, ctx, false);
      // RFC 9670 §4.2: the owner changes who the mailbox is shared with.
      if (share) await applyShareWith(store, accountId, id, share, grantChange(ctx));
      if (p.parentId !== undefined && p.parentId !== null) {
        // RFC 8621 §2.5: no loops in the tree.
        const all = await store.listMailboxes(accountId);
        const byId = new Map(all.map((m) => [m.id, m]));
        for (let q: string | null = p.parentId; q !== null; q = byId.get(q)?.parentId ?? null) {
          if (q === id) throw invalidProperties(["parentId"], "A mailbox cannot be its own ancestor.");
          if (!byId.has(q)) throw invalidProperties(["parentId"], "Unknown parent mailbox.");
        }
      }
      if (p.role && p.role !== current.role && await store.getMailboxByRole(accountId, p.role)) {
        throw invalidProperties(["role"], `A mailbox with role "${p.role}" exists already.`);
      }
      if (Object.keys(p).length === 0) return null;
      try {
        await store.updateMailbox(accountId, id, p);
      } catch (error) {
        setErrorOfStore(error);
      }
      return null;
    },
    async destroy(id) {
      const current = await store.getMailbox(accountId, id);
      if (!current) throw new SetErrorException("notFound");
      try {
        await store.deleteMailbox(accountId, id, { removeMessages: removeEmails });
        await store.mailboxAcl.removeMailbox(accountId, id);
      } catch (error) {
        setErrorOfStore(error);
      }
    },
  });
  return setResponse(accountId, result);
};

/** Mailbox/set on a shared account: isSubscribed updates only (RFC 9670 §4); the rest is forbidden. */
async function sharedMailboxSet(
  args: Record<string, unknown>,
  ctx: MethodContext,
  access: AccountAccess,
): Promise<Record<string, unknown>> {
  const store = ctx.services.server.store;
  const accountId = access.accountId;
  const forbidden = () =>
    new SetErrorException("forbidden", "Only isSubscribed can be changed on a shared mailbox.");
  const result = await runSet(args, ctx, {
    state: () => store.state(accountId, "Mailbox"),
    create() {
      return Promise.reject(forbidden());
    },
    async update(id, patch) {
      if (!access.rights?.has(id)) throw new SetErrorException("notFound");
      const keys = Object.keys(patch);
      if (keys.length !== 1 || keys[0] !== "isSubscribed") throw forbidden();
      if (typeof patch.isSubscribed !== "boolean") throw invalidProperties(["isSubscribed"]);
      await setSharedSubscription(store, ctx.account.id, access, id, patch.isSubscribed);
      return null;
    },
    destroy(id) {
      return Promise.reject(access.rights?.has(id) ? forbidden() : new SetErrorException("notFound"));
    },
  });
  return setResponse(accountId, result);
}
