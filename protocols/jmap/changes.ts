/**
 * The standard /changes method (RFC 8620 §5.2) over the store's change log.
 *
 * @module
 */
import type { ChangeType } from "../../core/store/types.ts";
import { MethodError } from "./errors.ts";
import { type MethodContext, optUInt, requireAccount } from "./method_context.ts";

/** Runs /changes for a logged type. */
export async function standardChanges(
  args: Record<string, unknown>,
  ctx: MethodContext,
  type: ChangeType,
): Promise<Record<string, unknown>> {
  const accountId = requireAccount(args, ctx);
  const sinceState = args.sinceState;
  if (typeof sinceState !== "string") throw new MethodError("invalidArguments", "sinceState is required.");
  const maxChanges = optUInt(args, "maxChanges");
  if (maxChanges === 0) throw new MethodError("invalidArguments", "maxChanges must be positive.");
  const c = await ctx.services.server.store.changes(accountId, type, sinceState, maxChanges ?? undefined);
  return {
    accountId,
    oldState: c.oldState,
    newState: c.newState,
    hasMoreChanges: c.hasMoreChanges,
    created: c.created,
    updated: c.updated,
    destroyed: c.destroyed,
  };
}
