/**
 * Shared /query and /queryChanges logic (RFC 8620 §5.5, §5.6): position, anchor, limit, total,
 * and query changes derived from the change log.
 *
 * @module
 */
import { MethodError } from "./errors.ts";
import { type MethodContext, optInt, optString, optUInt, resolveCreationId } from "./method_context.ts";

/** A window of query results. */
export interface QueryWindow {
  position: number;
  ids: string[];
  total?: number;
  limit?: number;
}

/** Upper bound on ids returned by one /query when the client sets no limit. */
export const MAX_QUERY_LIMIT = 10_000;

/** How many results from the start a window needs (Infinity for anchors and negative positions). */
export function windowDepth(args: Record<string, unknown>): number {
  const position = optInt(args, "position") ?? 0;
  if (args.anchor !== undefined && args.anchor !== null) return Infinity;
  if (position < 0) return Infinity;
  return position + Math.min(optUInt(args, "limit") ?? MAX_QUERY_LIMIT, MAX_QUERY_LIMIT);
}

/** Applies position/anchor/anchorOffset/limit/calculateTotal to a full result list (RFC 8620 §5.5). */
export function windowResults(
  all: readonly string[],
  args: Record<string, unknown>,
  ctx: MethodContext,
  knownTotal?: number,
): QueryWindow {
  let position = optInt(args, "position") ?? 0;
  const rawAnchor = optString(args, "anchor");
  const anchorOffset = optInt(args, "anchorOffset") ?? 0;
  const requested = optUInt(args, "limit");
  const limit = Math.min(requested ?? MAX_QUERY_LIMIT, MAX_QUERY_LIMIT);
  const calculateTotal = args.calculateTotal === true;
  if (rawAnchor !== null) {
    const anchor = resolveCreationId(rawAnchor, ctx) ?? rawAnchor;
    const index = all.indexOf(anchor);
    if (index < 0) throw new MethodError("anchorNotFound");
    position = Math.max(0, index + anchorOffset);
  } else if (position < 0) {
    position = Math.max(0, all.length + position);
  }
  const window: QueryWindow = { position, ids: all.slice(position, position + limit) };
  if (calculateTotal) window.total = knownTotal ?? all.length;
  if (requested !== null && requested > MAX_QUERY_LIMIT) window.limit = MAX_QUERY_LIMIT;
  return window;
}

/** Changes since a state, as the change log reports them. */
export interface LoggedChanges {
  created: string[];
  updated: string[];
  destroyed: string[];
  newState: string;
}

/**
 * /queryChanges from the change log (RFC 8620 §5.6): every updated or destroyed id is reported
 * removed (allowed: "removed" may list ids that were not in the old results), and every created or
 * updated id now in the results is added back at its index. Correct for any filter and sort.
 */
export function queryChangesFromLog(
  current: readonly string[],
  changes: LoggedChanges,
  args: Record<string, unknown>,
): { removed: string[]; added: { id: string; index: number }[]; total?: number } {
  const maxChanges = optUInt(args, "maxChanges");
  const upTo = optString(args, "upToId");
  const touched = new Set([...changes.created, ...changes.updated]);
  const removed = [...new Set([...changes.updated, ...changes.destroyed])];
  const added: { id: string; index: number }[] = [];
  for (let i = 0; i < current.length; i++) {
    const id = current[i]!;
    if (touched.has(id)) added.push({ id, index: i });
    if (upTo !== null && id === upTo) break;
  }
  if (maxChanges !== null && maxChanges > 0 && removed.length + added.length > maxChanges) {
    throw new MethodError("tooManyChanges");
  }
  const out: { removed: string[]; added: { id: string; index: number }[]; total?: number } = {
    removed,
    added,
  };
  if (args.calculateTotal === true) out.total = current.length;
  return out;
}
