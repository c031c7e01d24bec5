/**
 * What a JMAP method implementation is given, and helpers every method uses (account check,
 * creation-id references, argument validation).
 *
 * @module
 */
import type { Account } from "../../core/store/types.ts";
import type { Logger } from "../../core/log/logger.ts";
import { MethodError } from "./errors.ts";
import type { Invocation } from "./request.ts";
import type { JmapServices } from "./services.ts";

/** Per-request context shared by the method calls of one request. */
export interface MethodContext {
  readonly services: JmapServices;
  readonly account: Account;
  /** Capabilities the client listed in `using`. */
  readonly using: ReadonlySet<string>;
  /** Creation id → server id, across the whole request (RFC 8620 §3.3, §5.3). */
  readonly createdIds: Map<string, string>;
  readonly log: Logger;
  /** HTTP session id (X-Session-Id) and client address, for trace fields and logs. */
  readonly sessionId: string;
  readonly remoteAddress: string;
  /** Id of the method call being processed (for implicit follow-up responses). */
  callId: string;
}

/** A method implementation: returns its response arguments, or several invocations (implicit calls). */
export type MethodHandler = (
  args: Record<string, unknown>,
  ctx: MethodContext,
) => Promise<Record<string, unknown> | Invocation[]>;

/** A method in the dispatch table: the capability the client must use, and its handler. */
export interface MethodEntry {
  capability: string;
  handler: MethodHandler;
}

/** Checks `accountId` names the authenticated account (RFC 8620 §3.6.2 accountNotFound). */
export function requireAccount(args: Record<string, unknown>, ctx: MethodContext): string {
  const accountId = args.accountId;
  if (typeof accountId !== "string") throw new MethodError("invalidArguments", "accountId is required.");
  if (accountId !== ctx.account.id) throw new MethodError("accountNotFound");
  return accountId;
}

/**
 * Resolves an id that may be a creation-id reference `#creationId` (RFC 8620 §5.3). Returns null
 * when the creation id is unknown.
 */
export function resolveCreationId(id: string, ctx: MethodContext): string | null {
  if (!id.startsWith("#")) return id;
  return ctx.createdIds.get(id.slice(1)) ?? null;
}

/** Valid JMAP Id (RFC 8620 §1.2): 1–255 URL-safe base64 characters. */
export function isId(value: unknown): value is string {
  return typeof value === "string" && /^[A-Za-z0-9_-]{1,255}$/.test(value);
}

/** Optional argument of a given kind, else invalidArguments. */
export function optString(args: Record<string, unknown>, name: string): string | null {
  const v = args[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== "string") throw new MethodError("invalidArguments", `"${name}" must be a string.`);
  return v;
}

/** Optional boolean argument. */
export function optBool(args: Record<string, unknown>, name: string, def: boolean): boolean {
  const v = args[name];
  if (v === undefined || v === null) return def;
  if (typeof v !== "boolean") throw new MethodError("invalidArguments", `"${name}" must be a boolean.`);
  return v;
}

/** Optional non-negative integer (UnsignedInt) argument. */
export function optUInt(args: Record<string, unknown>, name: string): number | null {
  const v = args[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    throw new MethodError("invalidArguments", `"${name}" must be an unsigned integer.`);
  }
  return v;
}

/** Optional integer (Int) argument. */
export function optInt(args: Record<string, unknown>, name: string): number | null {
  const v = args[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== "number" || !Number.isSafeInteger(v)) {
    throw new MethodError("invalidArguments", `"${name}" must be an integer.`);
  }
  return v;
}

/** Optional array of strings argument (null when absent or null). */
export function optStringArray(args: Record<string, unknown>, name: string): string[] | null {
  const v = args[name];
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
    throw new MethodError("invalidArguments", `"${name}" must be an array of strings.`);
  }
  return v;
}

/** Optional object argument. */
export function optObject(args: Record<string, unknown>, name: string): Record<string, unknown> | null {
  const v = args[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== "object" || Array.isArray(v)) {
    throw new MethodError("invalidArguments", `"${name}" must be an object.`);
  }
  return v as Record<string, unknown>;
}

/**
 * The `ids` argument of a /get (RFC 8620 §5.1), creation-id references resolved; null means
 * "all". Enforces maxObjectsInGet (requestTooLarge).
 */
export function getIds(args: Record<string, unknown>, ctx: MethodContext): string[] | null {
  const ids = optStringArray(args, "ids");
  if (ids === null) return null;
  if (ids.length > ctx.services.limits.maxObjectsInGet) {
    throw new MethodError("requestTooLarge", `At most ${ctx.services.limits.maxObjectsInGet} ids per /get.`);
  }
  return ids.map((id) => resolveCreationId(id, ctx) ?? id);
}

/** The `properties` argument of a /get checked against the known ones; null means default. */
export function getProperties(args: Record<string, unknown>, known: ReadonlySet<string>): string[] | null {
  const props = optStringArray(args, "properties");
  if (props === null) return null;
  for (const p of props) {
    if (!known.has(p)) throw new MethodError("invalidArguments", `Unknown property "${p}".`);
  }
  return props;
}

/** Picks the requested properties of an object; `id` is always returned (RFC 8620 §5.1). */
export function pick(obj: Record<string, unknown>, props: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { id: obj.id };
  for (const p of props) if (p in obj) out[p] = obj[p];
  return out;
}
