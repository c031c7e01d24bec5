/**
 * How Email/query gets its ids without reading a whole large mailbox on every change.
 *
 * The store returns a query's complete, ordered result. For the common mailbox view (sorted by
 * receivedAt descending, first pages) Tern remembers a receivedAt threshold below the first
 * `PREFIX_DEPTH` results; after a change it asks the store for `filter AND after: threshold`,
 * which is exactly the prefix of the full result (every result received at or after the threshold,
 * in the same order; thread collapsing keeps each thread's first member, which is in the prefix
 * whenever any member is). Without a usable cached prefix, a window of finite depth asks the store
 * for just that many results (`limit`); anchors, negative positions and totals that cannot be
 * counted from mailbox counters need the full query.
 *
 * @module
 */
import type { MessageFilter, MessageSort } from "../../core/store/types.ts";
import type { QueryCacheEntry } from "./query_cache.ts";
import type { JmapServices } from "./services.ts";

/** Results kept below the threshold: several pages of 50. */
export const PREFIX_DEPTH = 256;

/** A normalised Email query. */
export interface EmailQuerySpec {
  accountId: string;
  filter: MessageFilter | undefined;
  sort: MessageSort[];
  collapseThreads: boolean;
}

/** What the window needs from the result list. */
export interface WindowNeed {
  /** Results needed from the start (position + limit), or Infinity for anchors, negative positions. */
  depth: number;
  /** calculateTotal was asked. */
  total: boolean;
}

/** Query ids: a complete list, or a prefix (with the total when it could be counted cheaply). */
export interface QueryIds {
  ids: string[];
  complete: boolean;
  total?: number;
}

function cacheKey(q: EmailQuerySpec): string {
  return JSON.stringify([q.accountId, q.filter ?? null, q.sort, q.collapseThreads]);
}

function prefixable(q: EmailQuerySpec): boolean {
  const first = q.sort[0];
  return first !== undefined && first.property === "receivedAt" && !first.isAscending;
}

/** Sort properties whose values never change for a message (RFC 8621 §4.1: immutable). */
const IMMUTABLE_SORT = new Set(["receivedAt", "sentAt", "size", "id", "subject", "from", "to"]);

/**
 * Which messages a mailbox holds, as a string, when the query's result depends on nothing else:
 * the filter is only `inMailbox`, the sort only immutable properties, no thread collapsing. UIDs
 * are never reused (RFC 9051 §2.3.1.1), so any message placed in the mailbox moves `uidNext` on,
 * and removals alone lower `total`: the same (uidNext, total) means the same members. Null for
 * any other query. Read before the ids it stamps are computed (a change in between only makes
 * the stamp older than the ids, so the next query computes them again).
 */
async function membershipStamp(services: JmapServices, q: EmailQuerySpec): Promise<string | null> {
  const f = q.filter as Record<string, unknown> | undefined;
  if (q.collapseThreads || !f || Object.keys(f).length !== 1 || typeof f.inMailbox !== "string") return null;
  if (!q.sort.every((s) => IMMUTABLE_SORT.has(s.property))) return null;
  const store = services.server.store;
  const mailbox = await store.getMailbox(q.accountId, f.inMailbox);
  if (!mailbox) return null;
  const counts = await store.mailboxCounts(q.accountId, mailbox.id);
  return `${mailbox.id}:${mailbox.uidNext}:${counts.total}`;
}

/** The total from mailbox counters when the filter is only `inMailbox` (no store scan). */
async function cheapTotal(services: JmapServices, q: EmailQuerySpec): Promise<number | null> {
  const f = q.filter as Record<string, unknown> | undefined;
  if (!f || Object.keys(f).length !== 1 || typeof f.inMailbox !== "string") return null;
  const mailbox = await services.server.store.getMailbox(q.accountId, f.inMailbox);
  if (!mailbox) return 0;
  const counts = await services.server.store.mailboxCounts(q.accountId, mailbox.id);
  return q.collapseThreads ? counts.totalThreads : counts.total;
}

async function receivedAtOf(services: JmapServices, accountId: string, id: string): Promise<number | null> {
  const [m] = await services.server.store.getMessages(accountId, [id]);
  return m ? m.receivedAt.getTime() : null;
}

/**
 * Ids for a query at `state` (read before calling), from the cache, a prefix query, or the full
 * query, in that order of preference.
 */
export async function queryEmailIds(
  services: JmapServices,
  q: EmailQuerySpec,
  state: string,
  need: WindowNeed,
): Promise<QueryIds> {
  const store = services.server.store;
  const key = cacheKey(q);
  const entry = services.queryCache.get(key);
  const enough = (e: { ids: string[]; complete: boolean }) => e.complete || e.ids.length >= need.depth;
  let total: number | undefined;
  if (need.total) {
    const cheap = await cheapTotal(services, q);
    if (cheap !== null) total = cheap;
  }
  const withTotal = (r: QueryIds): QueryIds => total === undefined ? r : { ...r, total };
  const totalOk = (complete: boolean) => !need.total || complete || total !== undefined;

  if (entry && entry.state === state && enough(entry) && totalOk(entry.complete)) {
    return withTotal({ ids: entry.ids, complete: entry.complete });
  }
  const stamp = await membershipStamp(services, q);
  if (entry && stamp !== null && entry.stamp === stamp && enough(entry) && totalOk(entry.complete)) {
    // The state moved, but the mailbox holds the same messages (keywords changed): same ids.
    services.queryCache.set(key, { ...entry, state });
    return withTotal({ ids: entry.ids, complete: entry.complete });
  }
  const stamped = stamp === null ? {} : { stamp };
  if (entry?.threshold != null && prefixable(q) && need.depth <= PREFIX_DEPTH && totalOk(false)) {
    const after = new Date(entry.threshold);
    const filter: MessageFilter = q.filter
      ? { operator: "AND", conditions: [q.filter, { after }] }
      : { after };
    const ids = await store.queryMessages(q.accountId, {
      filter,
      sort: q.sort,
      collapseThreads: q.collapseThreads,
    });
    if (ids.length >= need.depth) {
      // Keep the prefix short: move the threshold up when many messages arrived.
      let threshold = entry.threshold;
      if (ids.length > 4 * PREFIX_DEPTH) {
        threshold = await receivedAtOf(services, q.accountId, ids[PREFIX_DEPTH]!) ?? threshold;
      }
      services.queryCache.set(key, { state, ids, complete: false, threshold, ...stamped });
      return withTotal({ ids, complete: false });
    }
  }
  if (Number.isFinite(need.depth) && totalOk(false)) {
    // A first page needs only its rows: ask the store for a bounded prefix (one extra row tells
    // whether the result goes on) instead of reading the whole mailbox.
    const want = Math.max(need.depth, PREFIX_DEPTH + 1);
    const ids = await store.queryMessages(q.accountId, {
      ...(q.filter ? { filter: q.filter } : {}),
      sort: q.sort,
      collapseThreads: q.collapseThreads,
      limit: want + 1,
    });
    if (ids.length > want) {
      ids.length = want;
      const threshold = prefixable(q) ? await receivedAtOf(services, q.accountId, ids[PREFIX_DEPTH]!) : null;
      services.queryCache.set(key, { state, ids, complete: false, threshold, ...stamped });
      return withTotal({ ids, complete: false });
    }
    const threshold = prefixable(q) && ids.length > PREFIX_DEPTH
      ? await receivedAtOf(services, q.accountId, ids[PREFIX_DEPTH]!)
      : null;
    services.queryCache.set(key, { state, ids, complete: true, threshold, ...stamped });
    return { ids, complete: true, total: total ?? ids.length };
  }
  const ids = await store.queryMessages(q.accountId, {
    ...(q.filter ? { filter: q.filter } : {}),
    sort: q.sort,
    collapseThreads: q.collapseThreads,
  });
  const threshold = prefixable(q) && ids.length > PREFIX_DEPTH
    ? await receivedAtOf(services, q.accountId, ids[PREFIX_DEPTH]!)
    : null;
  const fresh: QueryCacheEntry = { state, ids, complete: true, threshold, ...stamped };
  services.queryCache.set(key, fresh);
  return { ids, complete: true, total: total ?? ids.length };
}
