/**
 * Email/get, /changes, /query, /queryChanges, /parse and Thread/get, /changes (RFC 8621 §3, §4).
 *
 * @module
 */
import type { Message, MessageCondition, MessageFilter, MessageSort } from "../../../core/store/types.ts";
import { parseMime } from "../../../core/mime/parse.ts";
import { summarize } from "../../../core/mime/summary.ts";
import { MethodError } from "../errors.ts";
import {
  getIds,
  type MethodHandler,
  optBool,
  optObject,
  optStringArray,
  optUInt,
  requireAccount,
} from "../method_context.ts";
import { standardChanges } from "../changes.ts";
import { queryChangesFromLog, windowDepth, windowResults } from "../query.ts";
import { type EmailQuerySpec, queryEmailIds } from "../email_query_plan.ts";
import { BODY_PART_PROPERTIES, DEFAULT_BODY_PROPERTIES } from "../body_structure.ts";
import {
  checkEmailProperty,
  DEFAULT_EMAIL_PROPERTIES,
  emailObject,
  type EmailViewOptions,
  needsRaw,
} from "../email_view.ts";
import { readBlob } from "../blobs.ts";
import { looksLikeMessage } from "../../../core/mime/message_shape.ts";
import { type AccountAccess, accountAccess, readableIn, visibleMessage } from "../mailbox_sharing.ts";
import { currentViewState, ownerState, viewState, visibleChanges, visibleThreads } from "../shared_view.ts";

/** Parses the Email/get and Email/parse body options (RFC 8621 §4.2, §4.9). */
function viewOptions(args: Record<string, unknown>): EmailViewOptions {
  const bodyProperties = optStringArray(args, "bodyProperties") ?? DEFAULT_BODY_PROPERTIES;
  for (const p of bodyProperties) {
    if (!BODY_PART_PROPERTIES.has(p) && !(p.startsWith("header:") && checkEmailProperty(p))) {
      throw new MethodError("invalidArguments", `Unknown body property "${p}".`);
    }
  }
  return {
    bodyProperties,
    fetchTextBodyValues: optBool(args, "fetchTextBodyValues", false),
    fetchHTMLBodyValues: optBool(args, "fetchHTMLBodyValues", false),
    fetchAllBodyValues: optBool(args, "fetchAllBodyValues", false),
    maxBodyValueBytes: optUInt(args, "maxBodyValueBytes") ?? 0,
  };
}

function emailProperties(args: Record<string, unknown>, defaults: string[]): string[] {
  const props = optStringArray(args, "properties") ?? defaults;
  for (const p of props) {
    if (checkEmailProperty(p) === false) {
      throw new MethodError("invalidArguments", `Unknown property "${p}".`);
    }
  }
  return props;
}

/** Email/get (RFC 8621 §4.2). */
export const emailGet: MethodHandler = async (args, ctx) => {
  // RFC 9670: in a shared account only messages in a mailbox the user may read ("r") exist.
  const access = await accountAccess(args, ctx);
  const accountId = access.accountId;
  const store = ctx.services.server.store;
  const props = emailProperties(args, DEFAULT_EMAIL_PROPERTIES);
  const opts = viewOptions(args);
  const state = await currentViewState(store, access, "Email");
  let ids = getIds(args, ctx);
  if (ids === null) {
    // "All" is bounded by maxObjectsInGet (RFC 8620 §5.1).
    ids = (await store.queryMessages(accountId, { sort: [{ property: "receivedAt", isAscending: false }] }))
      .slice(0, ctx.services.limits.maxObjectsInGet);
  }
  const unique = [...new Set(ids)];
  // The own account needs mailboxIds only to show them; a shared one also to check the read right.
  const messages = await store.getMessages(
    accountId,
    unique,
    access.rights === null && !props.includes("mailboxIds") ? { mailboxIds: false } : undefined,
  );
  const byId = new Map(messages.map((m) => [m.id, m]));
  const raw = needsRaw(props);
  const list: Record<string, unknown>[] = [];
  const notFound: string[] = [];
  for (const id of unique) {
    const m = visibleMessage(access, byId.get(id));
    if (!m) {
      notFound.push(id);
      continue;
    }
    let bytes: Uint8Array | null = null;
    if (raw) {
      bytes = await store.readMessage(accountId, id);
      if (!bytes) {
        notFound.push(id);
        continue;
      }
    }
    list.push(emailObject(m, props, opts, bytes, bytes ? parseMime(bytes) : null));
  }
  return { accountId, state, list, notFound };
};

/** Email/changes (RFC 8621 §4.3). */
export const emailChanges: MethodHandler = (args, ctx) => standardChanges(args, ctx, "Email");

const KEYWORD_RE = /^[\x21-\x7e]{1,255}$/;

function keyword(value: unknown, name: string): string {
  // RFC 8621 §4.1.1: keywords are case-insensitive, no "(){]%*\"\\" characters.
  if (typeof value !== "string" || !KEYWORD_RE.test(value) || /[(){\]%*"\\]/.test(value)) {
    throw new MethodError("invalidArguments", `"${name}" must be a keyword.`);
  }
  return value.toLowerCase();
}

function utcDate(value: unknown, name: string): Date {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(value)) {
    throw new MethodError("invalidArguments", `"${name}" must be a UTCDate.`);
  }
  return new Date(value);
}

function str(value: unknown, name: string): string {
  if (typeof value !== "string") throw new MethodError("invalidArguments", `"${name}" must be a string.`);
  return value;
}

function uint(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new MethodError("invalidArguments", `"${name}" must be an unsigned integer.`);
  }
  return value;
}

/** Converts a JMAP Email FilterCondition/FilterOperator (RFC 8621 §4.4.1) to the store's filter. */
export function toMessageFilter(f: Record<string, unknown>, depth = 0): MessageFilter {
  if (depth > 16) throw new MethodError("unsupportedFilter", "Filter nested too deeply.");
  if ("operator" in f) {
    const op = f.operator;
    if (op !== "AND" && op !== "OR" && op !== "NOT") {
      throw new MethodError("unsupportedFilter", `Unknown operator "${String(op)}".`);
    }
    if (!Array.isArray(f.conditions)) {
      throw new MethodError("invalidArguments", "conditions must be an array.");
    }
    return {
      operator: op,
      conditions: f.conditions.map((c) => {
        if (typeof c !== "object" || c === null || Array.isArray(c)) {
          throw new MethodError("invalidArguments", "Each condition must be an object.");
        }
        return toMessageFilter(c as Record<string, unknown>, depth + 1);
      }),
    };
  }
  const c: MessageCondition = {};
  for (const [key, value] of Object.entries(f)) {
    switch (key) {
      case "inMailbox":
        c.inMailbox = str(value, key);
        break;
      case "inMailboxOtherThan":
        if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
          throw new MethodError("invalidArguments", "inMailboxOtherThan must be an array of ids.");
        }
        c.inMailboxOtherThan = value;
        break;
      case "before":
        c.before = utcDate(value, key);
        break;
      case "after":
        c.after = utcDate(value, key);
        break;
      case "minSize":
        c.minSize = uint(value, key);
        break;
      case "maxSize":
        c.maxSize = uint(value, key);
        break;
      case "allInThreadHaveKeyword":
      case "someInThreadHaveKeyword":
      case "noneInThreadHaveKeyword":
      case "hasKeyword":
      case "notKeyword":
        c[key] = keyword(value, key);
        break;
      case "hasAttachment":
        if (typeof value !== "boolean") {
          throw new MethodError("invalidArguments", "hasAttachment must be a boolean.");
        }
        c.hasAttachment = value;
        break;
      case "text":
      case "from":
      case "to":
      case "cc":
      case "bcc":
      case "subject":
      case "body":
        c[key] = str(value, key);
        break;
      case "header": {
        if (
          !Array.isArray(value) || value.length < 1 || value.length > 2 ||
          !value.every((v) => typeof v === "string")
        ) {
          throw new MethodError("invalidArguments", "header must be [name] or [name, value].");
        }
        c.header = value as [string] | [string, string];
        break;
      }
      default:
        throw new MethodError("unsupportedFilter", `Unknown Email filter "${key}".`);
    }
  }
  return c;
}

const SORTABLE = new Set([
  "receivedAt",
  "size",
  "from",
  "to",
  "subject",
  "sentAt",
  "hasKeyword",
  "allInThreadHaveKeyword",
  "someInThreadHaveKeyword",
]);

/** Converts JMAP Comparators (RFC 8621 §4.4.2) to the store's sort keys. */
export function toMessageSort(sort: unknown): MessageSort[] {
  if (sort === undefined || sort === null) return [{ property: "receivedAt", isAscending: false }];
  if (!Array.isArray(sort)) throw new MethodError("invalidArguments", "sort must be an array.");
  return sort.map((s) => {
    if (typeof s !== "object" || s === null) throw new MethodError("invalidArguments", "Bad comparator.");
    const { property, isAscending, keyword: kw, collation } = s as Record<string, unknown>;
    if (typeof property !== "string" || !SORTABLE.has(property)) {
      throw new MethodError("unsupportedSort", `Cannot sort Emails by "${String(property)}".`);
    }
    if (collation !== undefined && collation !== "i;ascii-casemap" && collation !== "i;unicode-casemap") {
      throw new MethodError("unsupportedSort", `Unsupported collation "${String(collation)}".`);
    }
    const out: MessageSort = {
      property: property as MessageSort["property"],
      isAscending: isAscending === undefined ? true : isAscending === true,
    };
    if (property.endsWith("eyword")) out.keyword = keyword(kw, "keyword");
    return out;
  });
}

function querySpec(args: Record<string, unknown>, accountId: string): EmailQuerySpec {
  const filterObj = optObject(args, "filter");
  return {
    accountId,
    filter: filterObj ? toMessageFilter(filterObj) : undefined,
    sort: toMessageSort(args.sort),
    collapseThreads: optBool(args, "collapseThreads", false),
  };
}

/** RFC 9670 with RFC 4314 §4: a shared account is searched in the mailboxes the user may read. */
function sharedSpec(spec: EmailQuerySpec, access: AccountAccess): EmailQuerySpec {
  if (access.personal) return spec;
  const readable: MessageFilter[] = readableIn(access).map((inMailbox) => ({ inMailbox }));
  const within: MessageFilter = { operator: "OR", conditions: readable };
  spec.filter = spec.filter ? { operator: "AND", conditions: [spec.filter, within] } : within;
  return spec;
}

/** Email/query (RFC 8621 §4.4). */
export const emailQuery: MethodHandler = async (args, ctx) => {
  const access = await accountAccess(args, ctx);
  const accountId = access.accountId;
  const spec = sharedSpec(querySpec(args, accountId), access);
  // The state is read before the query: a change racing with it moves the state on, so a result
  // cached under the older state is never served after the change.
  const queryState = await ctx.services.server.store.state(accountId, "Email");
  const r = await queryEmailIds(ctx.services, spec, queryState, {
    depth: windowDepth(args),
    total: args.calculateTotal === true,
  });
  return {
    accountId,
    queryState: viewState(queryState, access.rights),
    canCalculateChanges: true,
    collapseThreads: spec.collapseThreads,
    ...windowResults(r.ids, args, ctx, r.total),
  };
};

/** Email/queryChanges (RFC 8621 §4.5). */
export const emailQueryChanges: MethodHandler = async (args, ctx) => {
  const access = await accountAccess(args, ctx);
  const accountId = access.accountId;
  const since = args.sinceQueryState;
  if (typeof since !== "string") throw new MethodError("invalidArguments", "sinceQueryState is required.");
  const store = ctx.services.server.store;
  // On a shared account: the changes and results the user may see (shared_view.ts).
  const changes = await visibleChanges(
    store,
    access,
    "Email",
    await store.changes(accountId, "Email", ownerState(since, access.rights)),
  );
  if (changes.hasMoreChanges) throw new MethodError("cannotCalculateChanges");
  const spec = sharedSpec(querySpec(args, accountId), access);
  const { ids } = await queryEmailIds(ctx.services, spec, changes.newState, {
    depth: Infinity,
    total: false,
  });
  if (optBool(args, "collapseThreads", false)) {
    // A change to any thread member may change which member represents the thread.
    const touched = [...changes.created, ...changes.updated, ...changes.destroyed];
    if (touched.length > 0) throw new MethodError("cannotCalculateChanges");
  }
  return {
    accountId,
    oldQueryState: since,
    newQueryState: viewState(changes.newState, access.rights),
    ...queryChangesFromLog(ids, changes, args),
  };
};

/** Thread/get (RFC 8621 §3.1). */
export const threadGet: MethodHandler = async (args, ctx) => {
  // RFC 9670: on a shared account a thread holds the Emails the user may read, if any.
  const access = await accountAccess(args, ctx);
  const accountId = access.accountId;
  const store = ctx.services.server.store;
  const state = await currentViewState(store, access, "Thread");
  const ids = getIds(args, ctx);
  if (ids === null) throw new MethodError("requestTooLarge", "Thread/get needs ids.");
  const byId = new Map((await visibleThreads(store, access, ids)).map((t) => [t.id, t]));
  const list: Record<string, unknown>[] = [];
  const notFound: string[] = [];
  for (const id of new Set(ids)) {
    const t = byId.get(id);
    if (t) list.push({ id: t.id, emailIds: t.emailIds });
    else notFound.push(id);
  }
  return { accountId, state, list, notFound };
};

/** Thread/changes (RFC 8621 §3.2). */
export const threadChanges: MethodHandler = (args, ctx) => standardChanges(args, ctx, "Thread");

/** RFC 8621 §4.9: Email/parse defaults are Email/get's less the properties a parsed blob lacks. */
const NOT_IN_PARSED = new Set(["id", "threadId", "mailboxIds", "keywords", "receivedAt", "blobId", "size"]);
const PARSE_DEFAULTS = DEFAULT_EMAIL_PROPERTIES.filter((p) => !NOT_IN_PARSED.has(p));

/** Properties Email/parse answers with null (RFC 8621 §4.9). */
const PARSE_NULLS = ["id", "mailboxIds", "keywords", "receivedAt", "threadId"];

/** Email/parse (RFC 8621 §4.9): Email objects of message blobs, without storing them. */
export const emailParse: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  const blobIds = optStringArray(args, "blobIds") ?? [];
  if (blobIds.length > ctx.services.limits.maxObjectsInGet) {
    throw new MethodError("requestTooLarge", "Too many blobIds.");
  }
  const requested = emailProperties(args, PARSE_DEFAULTS);
  // RFC 8621 §4.9: a parsed blob is no Email in the store, so id, mailboxIds, keywords and
  // receivedAt are null when asked for (threadId too: Tern does not look for a thread).
  const nulls = requested.filter((p) => PARSE_NULLS.includes(p));
  const props = requested.filter((p) => !PARSE_NULLS.includes(p));
  const opts = viewOptions(args);
  const parsed: Record<string, unknown> = {};
  const notParsable: string[] = [];
  const notFound: string[] = [];
  for (const blobId of blobIds) {
    const blob = await readBlob(ctx.services, accountId, blobId);
    if (!blob) {
      notFound.push(blobId);
      continue;
    }
    // RFC 8621 §4.9 notParsable: blobs that are not RFC 5322 messages.
    if (!looksLikeMessage(blob.bytes)) {
      notParsable.push(blobId);
      continue;
    }
    try {
      const root = parseMime(blob.bytes);
      const m: Message = {
        id: "",
        accountId,
        threadId: "",
        blobId,
        size: blob.bytes.length,
        receivedAt: new Date(0),
        keywords: [],
        mailboxIds: [],
        summary: summarize(blob.bytes),
        modseq: 0,
      };
      const obj = emailObject(m, props, opts, blob.bytes, root);
      delete obj.id;
      for (const p of nulls) obj[p] = null;
      if (props.includes("blobId")) obj.blobId = blobId;
      if (props.includes("size")) obj.size = blob.bytes.length;
      parsed[blobId] = obj;
    } catch {
      notParsable.push(blobId);
    }
  }
  return {
    accountId,
    parsed: Object.keys(parsed).length ? parsed : null,
    notParsable: notParsable.length ? notParsable : null,
    notFound: notFound.length ? notFound : null,
  };
};
