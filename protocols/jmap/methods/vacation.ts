/**
 * VacationResponse/get and /set (RFC 8621 §8).
 *
 * @module
 */
import { invalidProperties, MethodError, SetErrorException } from "../errors.ts";
import { getProperties, type MethodHandler, optObject, pick, requireAccount } from "../method_context.ts";
import type { VacationResponse } from "../../../core/store/records/vacations.ts";
import { applyPatch } from "../set.ts";
import { auditSettings } from "../../../core/audit/settings_audit.ts";

const PROPERTIES = new Set(["id", "isEnabled", "fromDate", "toDate", "subject", "textBody", "htmlBody"]);

function toJmap(v: VacationResponse): Record<string, unknown> {
  const iso = (d: Date | null) => d ? d.toISOString().replace(/\.\d{3}Z$/, "Z") : null;
  return { ...v, fromDate: iso(v.fromDate), toDate: iso(v.toDate) };
}

/** VacationResponse/get (RFC 8621 §8.1). */
export const vacationGet: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  const props = getProperties(args, PROPERTIES) ?? [...PROPERTIES];
  const ids = args.ids;
  if (ids !== undefined && ids !== null && !Array.isArray(ids)) {
    throw new MethodError("invalidArguments", "ids must be an array.");
  }
  const { value, state } = await ctx.services.vacations.get(accountId);
  const wanted = (ids as string[] | null | undefined) ?? ["singleton"];
  return {
    accountId,
    state,
    list: wanted.includes("singleton") ? [pick(toJmap(value), props)] : [],
    notFound: wanted.filter((id) => id !== "singleton"),
  };
};

function parseDate(v: unknown, k: string): Date | null {
  if (v === null) return null;
  if (typeof v !== "string" || Number.isNaN(Date.parse(v))) throw invalidProperties([k]);
  return new Date(v);
}

/** VacationResponse/set (RFC 8621 §8.2): only update of the singleton. */
export const vacationSet: MethodHandler = async (args, ctx) => {
  const accountId = requireAccount(args, ctx);
  const vac = ctx.services.vacations;
  const { value, state: oldState } = await vac.get(accountId);
  if (typeof args.ifInState === "string" && args.ifInState !== oldState) {
    throw new MethodError("stateMismatch");
  }
  const singleton = (id: string) => ({
    type: "singleton",
    description: `Only "singleton" exists, not "${id}".`,
  });
  const notCreated = Object.fromEntries(
    Object.keys(optObject(args, "create") ?? {}).map((cid) => [cid, singleton(cid)]),
  );
  const destroy = Array.isArray(args.destroy) ? args.destroy as string[] : [];
  const notDestroyed = Object.fromEntries(destroy.map((id) => [id, singleton(id)]));
  const updated: Record<string, null> = {};
  const notUpdated: Record<string, unknown> = {};
  let newState = oldState;
  for (const [id, patch] of Object.entries(optObject(args, "update") ?? {})) {
    try {
      if (id !== "singleton") throw new SetErrorException("notFound");
      const next = applyPatch(toJmap(value), patch as Record<string, unknown>);
      for (const k of Object.keys(next)) if (!PROPERTIES.has(k)) throw invalidProperties([k]);
      if (next.id !== "singleton") throw invalidProperties(["id"]);
      if (typeof next.isEnabled !== "boolean") throw invalidProperties(["isEnabled"]);
      for (const k of ["subject", "textBody", "htmlBody"]) {
        if (next[k] !== null && typeof next[k] !== "string") throw invalidProperties([k]);
      }
      newState = await vac.set(accountId, {
        id: "singleton",
        isEnabled: next.isEnabled,
        fromDate: parseDate(next.fromDate, "fromDate"),
        toDate: parseDate(next.toDate, "toDate"),
        subject: next.subject as string | null,
        textBody: next.textBody as string | null,
        htmlBody: next.htmlBody as string | null,
      });
      updated[id] = null;
      await auditSettings(ctx.services.server, ctx.account, {
        action: "jmap.vacation.update",
        target: ctx.account.address,
        after: { isEnabled: next.isEnabled },
      }, { ip: ctx.remoteAddress, requestId: ctx.sessionId });
    } catch (error) {
      if (error instanceof SetErrorException) notUpdated[id] = error.toSetError();
      else throw error;
    }
  }
  const orNull = (o: Record<string, unknown>) => Object.keys(o).length ? o : null;
  return {
    accountId,
    oldState,
    newState,
    created: null,
    updated: orNull(updated),
    destroyed: null,
    notCreated: orNull(notCreated),
    notUpdated: orNull(notUpdated),
    notDestroyed: orNull(notDestroyed),
  };
};
