/**
 * The generic /set method flow (RFC 8620 §5.3): ifInState, create then update then destroy, each
 * object failing on its own with a SetError, creation ids recorded for later references.
 *
 * @module
 */
import { MethodError, type SetError, SetErrorException } from "./errors.ts";
import {
  type MethodContext,
  optObject,
  optString,
  optStringArray,
  resolveCreationId,
} from "./method_context.ts";

/** What a type provides to the generic /set flow. */
export interface SetHandlers {
  /** Current state string. */
  state(): Promise<string>;
  /** Creates one object; returns the server-set properties (at least `id`). */
  create?(creationId: string, object: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Updates one object; returns changed server-set properties, or null. */
  update?(id: string, patch: Record<string, unknown>): Promise<Record<string, unknown> | null>;
  /** Destroys one object. */
  destroy?(id: string): Promise<void>;
}

/** Result of a /set before it is serialised. */
export interface SetResult {
  oldState: string;
  newState: string;
  created: Record<string, Record<string, unknown>> | null;
  updated: Record<string, Record<string, unknown> | null> | null;
  destroyed: string[] | null;
  notCreated: Record<string, SetError> | null;
  notUpdated: Record<string, SetError> | null;
  notDestroyed: Record<string, SetError> | null;
}

function toSetError(error: unknown, ctx: MethodContext): SetError {
  if (error instanceof SetErrorException) return error.toSetError();
  if (error instanceof MethodError) throw error;
  ctx.log.error("JMAP set operation failed", { error: String(error) });
  return { type: "forbidden", description: "The server could not complete this change." };
}

/** Runs a /set call (RFC 8620 §5.3). `accountId` must already be checked. */
export async function runSet(
  args: Record<string, unknown>,
  ctx: MethodContext,
  h: SetHandlers,
): Promise<SetResult> {
  const ifInState = optString(args, "ifInState");
  const create = optObject(args, "create");
  const update = optObject(args, "update");
  const destroy = optStringArray(args, "destroy");
  const count = Object.keys(create ?? {}).length + Object.keys(update ?? {}).length + (destroy?.length ?? 0);
  if (count > ctx.services.limits.maxObjectsInSet) {
    throw new MethodError(
      "requestTooLarge",
      `At most ${ctx.services.limits.maxObjectsInSet} objects per /set.`,
    );
  }
  const oldState = await h.state();
  if (ifInState !== null && ifInState !== oldState) throw new MethodError("stateMismatch");

  const result: SetResult = {
    oldState,
    newState: oldState,
    created: null,
    updated: null,
    destroyed: null,
    notCreated: null,
    notUpdated: null,
    notDestroyed: null,
  };
  for (const [cid, object] of Object.entries(create ?? {})) {
    try {
      if (!h.create) throw new SetErrorException("forbidden", "This type cannot be created.");
      if (typeof object !== "object" || object === null || Array.isArray(object)) {
        throw new SetErrorException("invalidProperties", "The object must be a JSON object.");
      }
      const created = await h.create(cid, object as Record<string, unknown>);
      ctx.createdIds.set(cid, String(created.id));
      (result.created ??= {})[cid] = created;
    } catch (error) {
      (result.notCreated ??= {})[cid] = toSetError(error, ctx);
    }
  }
  for (const [rawId, patch] of Object.entries(update ?? {})) {
    const id = resolveCreationId(rawId, ctx);
    try {
      if (id === null) throw new SetErrorException("notFound", `Unknown creation id "${rawId}".`);
      if (!h.update) throw new SetErrorException("forbidden", "This type cannot be updated.");
      if (typeof patch !== "object" || patch === null || Array.isArray(patch)) {
        throw new SetErrorException("invalidPatch", "The patch must be a JSON object.");
      }
      if (destroy?.includes(id) || destroy?.includes(rawId)) {
        throw new SetErrorException("willDestroy", "The object is destroyed in the same call.");
      }
      (result.updated ??= {})[id] = await h.update(id, patch as Record<string, unknown>);
    } catch (error) {
      (result.notUpdated ??= {})[id ?? rawId] = toSetError(error, ctx);
    }
  }
  for (const rawId of destroy ?? []) {
    const id = resolveCreationId(rawId, ctx);
    try {
      if (id === null) throw new SetErrorException("notFound", `Unknown creation id "${rawId}".`);
      if (!h.destroy) throw new SetErrorException("forbidden", "This type cannot be destroyed.");
      await h.destroy(id);
      (result.destroyed ??= []).push(id);
    } catch (error) {
      (result.notDestroyed ??= {})[id ?? rawId] = toSetError(error, ctx);
    }
  }
  result.newState = await h.state();
  return result;
}

/** The response arguments of a /set. */
export function setResponse(accountId: string, r: SetResult): Record<string, unknown> {
  return { accountId, ...r };
}

/**
 * Applies a PatchObject (RFC 8620 §5.3) to a copy of `target`: each key is a JSON Pointer path
 * (without the leading slash) and null removes. Throws SetErrorException `invalidPatch`.
 */
export function applyPatch(
  target: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const out = structuredClone(target);
  for (const [path, value] of Object.entries(patch)) {
    const tokens = path.split("/").map((t) => t.replaceAll("~1", "/").replaceAll("~0", "~"));
    let node: Record<string, unknown> = out;
    for (let i = 0; i < tokens.length - 1; i++) {
      const next = node[tokens[i]!];
      if (typeof next !== "object" || next === null || Array.isArray(next)) {
        throw new SetErrorException("invalidPatch", `Path "${path}" does not name an object member.`);
      }
      node = next as Record<string, unknown>;
    }
    const last = tokens[tokens.length - 1]!;
    // A top-level null resets the property; deeper, null removes a map member.
    if (value === null && tokens.length > 1) delete node[last];
    else node[last] = value;
  }
  return out;
}
